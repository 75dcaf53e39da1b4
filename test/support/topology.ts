import type { RedisTarget } from '@caching-strategies/cache'
import { inject } from 'vitest'
import { persistentRedisUrl, REDIS_URL } from './redis.js'

/**
 * Which Redis the suite runs on. vitest.config.ts runs the files that matter for distribution
 * once per topology (its `projects`), each project with TEST_REDIS_TOPOLOGY set; global-setup.ts
 * starts the topology and hands its address to the tests.
 */
export type SuiteTopology = 'standalone' | 'cluster' | 'sentinel'

/** Where global-setup.ts started the project's Redis. */
export type SuiteRedis =
  | { mode: 'cluster'; nodes: string }
  | { mode: 'sentinel'; sentinels: string; masterName: string }

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/support/global-setup.ts for the cluster and sentinel projects. */
    suiteRedis?: SuiteRedis
  }
}

export function suiteTopology(): SuiteTopology {
  const topology = process.env.TEST_REDIS_TOPOLOGY ?? 'standalone'
  if (topology === 'standalone' || topology === 'cluster' || topology === 'sentinel') {
    return topology
  }
  throw new Error(`TEST_REDIS_TOPOLOGY=${topology}: not standalone, cluster or sentinel`)
}

/**
 * The service's settings for the suite's Redis: REDIS_URL on standalone (`url`, the shared
 * Redis unless told otherwise), else the cluster's nodes or the sentinels started for the run,
 * which have persistence, so they serve as the persistent Redis too.
 */
export function suiteRedisEnv(url: string = REDIS_URL): Record<string, string> {
  const suite = suiteRedis()
  if (suite === undefined) return { REDIS_URL: url }
  if (suite.mode === 'cluster') return { REDIS_CLUSTER_NODES: suite.nodes }
  return { REDIS_SENTINELS: suite.sentinels, REDIS_SENTINEL_MASTER: suite.masterName }
}

/** The same, for a client a test opens itself. */
export function suiteRedisTarget(url: string = REDIS_URL): RedisTarget {
  const suite = suiteRedis()
  if (suite === undefined) return { mode: 'standalone', url }
  if (suite.mode === 'cluster') return { mode: 'cluster', nodes: hostPorts(suite.nodes) }
  return { mode: 'sentinel', sentinels: hostPorts(suite.sentinels), masterName: suite.masterName }
}

function suiteRedis(): SuiteRedis | undefined {
  if (suiteTopology() === 'standalone') return undefined
  const suite = inject('suiteRedis')
  if (suite === undefined)
    throw new Error('no suite Redis: is test/support/global-setup.ts registered?')
  return suite
}

function hostPorts(list: string) {
  return list.split(',').map((entry) => {
    const [host = '', port = ''] = entry.split(':')
    return { host, port: Number(port) }
  })
}

/** The settings for a Redis with persistence: the run's own on standalone, else the topology. */
export function persistentRedisEnv(): Record<string, string> {
  return suiteTopology() === 'standalone' ? { REDIS_URL: persistentRedisUrl() } : suiteRedisEnv()
}
