import { HOST } from './net.js'

export interface ServiceEnvInputs {
  runId: string
  port: number
  redisUrl: string
  /**
   * A Redis Cluster's nodes (`host:port,…`): the service runs on it, and REDIS_URL is left out
   * (the service refuses both at once).
   */
  redisClusterNodes?: string | undefined
  databaseUrl: string
  adminToken: string
  keyPrefix: string
  products: number
}

/**
 * A service process's whole environment: only what is set here, so the caller's shell cannot
 * leak in. ROLE=api measures the API alone (no job worker in the process); the queue gets a
 * prefix of the run's own, so even BullMQ's keys are the run's to delete.
 */
export function serviceEnv(
  inputs: ServiceEnvInputs,
  overrides: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PORT: String(inputs.port),
    HOST,
    ...(inputs.redisClusterNodes === undefined
      ? { REDIS_URL: inputs.redisUrl }
      : { REDIS_CLUSTER_NODES: inputs.redisClusterNodes }),
    DATABASE_URL: inputs.databaseUrl,
    ADMIN_TOKEN: inputs.adminToken,
    REDIS_KEY_PREFIX: inputs.keyPrefix,
    QUEUE_PREFIX: queuePrefixOf(inputs.runId),
    ROLE: 'api',
    SEED_PRODUCTS: String(inputs.products),
    LOG_LEVEL: 'warn',
    ...overrides,
  }
}

/** BullMQ's prefix for the run (letters, digits, `-` only); its keys are `{bench-<runId>}:…`. */
export const queuePrefixOf = (runId: string) => `bench-${runId}`
