import { join } from 'node:path'
import {
  addCounters,
  type CacheCounters,
  productCacheCounters,
  ZERO_COUNTERS,
} from './cache-counters.js'
import type { Child } from './child-processes.js'
import type { BenchContext } from './context.js'
import { freePort, HOST, waitForOk } from './net.js'
import { processCpuMs } from './process-cpu.js'
import { parsePrometheusText, type Sample } from './prometheus-text.js'
import { serviceEnv } from './service-env.js'

export type Strategy = 'none' | 'naive' | 'full'

/** What runs behind a target: the service, or one of the reference servers in bench/references. */
export type TargetKind = 'service' | 'ref-fastify' | 'ref-contract' | 'ref-ioredis'

export interface TargetSpec {
  /** Short and stable, used in keys, file names and the report: `full`, `full-l2`, `ref-fastify`. */
  id: string
  label: string
  kind: TargetKind
  strategy?: Strategy
  /** Service processes sharing one key prefix (a cluster); 1 unless said. */
  instances?: number
  /** Service variables on top of the benchmark's, e.g. `{ DB_EXTRA_LATENCY_MS: '100' }`. */
  env?: Readonly<Record<string, string>>
  /** Another Redis than the shared one (the outage scenario's own). */
  redisUrl?: string
  /** 'cluster': a service on the run's Redis Cluster (--topology cluster) instead. */
  redisTopology?: 'standalone' | 'cluster'
}

export interface RunningTarget {
  spec: TargetSpec
  urls: string[]
  pids: number[]
  /** The REDIS_KEY_PREFIX of the service, or the key prefix the ioredis reference reads. */
  keyPrefix: string
  /** The product cache's counters summed over the instances (zeros for a reference). */
  counters(): Promise<CacheCounters>
  /** Every sample of every instance's /metrics, in one list (none for a reference). */
  samples(): Promise<Sample[]>
  /** CPU time its processes have used so far, in ms (NaN where /proc is missing). */
  cpuMs(): Promise<number>
  /** SIGTERM to each of its processes, by PID (a clean exit writes a --cpu-prof profile). */
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 30_000
const SERVER_ENTRY = 'dist/start/server.js'
const REFERENCE_ENTRY: Record<Exclude<TargetKind, 'service'>, string> = {
  'ref-fastify': 'bench/references/bare-fastify.ts',
  'ref-contract': 'bench/references/fastify-contract.ts',
  'ref-ioredis': 'bench/references/fastify-ioredis.ts',
}

/** Starts every process of the target and waits until each answers (/ready, or /health). */
export async function startTarget(
  context: BenchContext,
  scenario: string,
  spec: TargetSpec,
): Promise<RunningTarget> {
  const keyPrefix = context.keyPrefix(`${scenario}:${spec.id}:`)
  const onCluster = spec.redisTopology === 'cluster'
  if (onCluster && (spec.kind !== 'service' || context.cluster === undefined)) {
    throw new Error(`${spec.id}: only the service runs on a Redis Cluster, with --topology cluster`)
  }
  const redisClusterNodes = onCluster ? context.cluster?.seeds.join(',') : undefined
  const count = spec.kind === 'service' ? (spec.instances ?? 1) : 1
  const urls: string[] = []
  const children: Child[] = []
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const port = await freePort()
      const name = `${scenario}-${spec.id}${count > 1 ? `-${index + 1}` : ''}`
      const redisUrl = spec.redisUrl ?? context.redisUrl
      // A directory per process: tsx's loader thread writes a profile of its own beside it.
      const profile = context.cpuProfDir
        ? ['--cpu-prof', '--cpu-prof-dir', join(context.cpuProfDir, name)]
        : []
      const child =
        spec.kind === 'service'
          ? context.children.spawn(name, process.execPath, [...profile, SERVER_ENTRY], {
              cwd: context.repoRoot,
              env: serviceEnv(
                { ...context, port, keyPrefix, redisUrl, redisClusterNodes },
                { CACHE_STRATEGY: spec.strategy ?? 'full', ...spec.env },
              ),
            })
          : context.children.spawn(
              name,
              process.execPath,
              [...profile, '--import', 'tsx', REFERENCE_ENTRY[spec.kind]],
              {
                cwd: context.repoRoot,
                env: {
                  PATH: process.env.PATH,
                  PORT: String(port),
                  REDIS_URL: redisUrl,
                  REF_KEY_PREFIX: keyPrefix,
                  REF_BODY_FILE: context.referenceBodyFile,
                },
              },
            )
      const url = `http://${HOST}:${port}`
      children[index] = child
      await waitForOk(
        `${url}${spec.kind === 'service' ? '/ready' : '/health'}`,
        child,
        START_TIMEOUT_MS,
      )
      if (spec.kind === 'service') await expectTopology(url, onCluster ? 'cluster' : 'standalone')
      urls[index] = url
    }),
  ).catch(async (error: unknown) => {
    // One instance failed: stop its siblings now rather than at the end of the run.
    for (const child of children) await child?.stop()
    throw error
  })

  return {
    spec,
    urls,
    pids: children.map((child) => child.pid),
    keyPrefix,
    async counters() {
      if (spec.kind !== 'service') return ZERO_COUNTERS
      const all = await Promise.all(urls.map(scrapeSamples))
      return all.map(productCacheCounters).reduce(addCounters, ZERO_COUNTERS)
    },
    async samples() {
      if (spec.kind !== 'service') return []
      return (await Promise.all(urls.map(scrapeSamples))).flat()
    },
    async cpuMs() {
      const each = await Promise.all(children.map((child) => processCpuMs(child.pid)))
      return each.reduce<number>((total, ms) => total + (ms ?? Number.NaN), 0)
    },
    async stop() {
      for (const child of children) await child.stop()
    },
  }
}

/** The service's /health names the topology its Redis client runs on: the one asked for. */
async function expectTopology(url: string, mode: 'standalone' | 'cluster'): Promise<void> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) })
  const health = (await response.json()) as { redis?: { mode?: string } }
  if (health.redis?.mode !== mode) {
    throw new Error(`${url}/health says Redis mode ${health.redis?.mode}, expected ${mode}`)
  }
}

async function scrapeSamples(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`)
  return parsePrometheusText(await response.text())
}

/** Where the service's entry for product `id` lives in Redis (key version 1). */
export function productEntryKey(target: RunningTarget, id: number): string {
  return `${target.keyPrefix}product:v1:${id}`
}
