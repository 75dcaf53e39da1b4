import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster, Redis } from 'ioredis'
import type { ChildProcesses } from './child-processes.js'
import type { BenchOptions } from './cli-options.js'
import { freePort, HOST, waitForOk } from './net.js'
import { type OwnRedisCluster, startOwnRedisCluster } from './own-redis-cluster.js'
import type { Progress } from './progress.js'
import { deleteKeysByPrefix } from './redis-keys.js'
import { queuePrefixOf, serviceEnv } from './service-env.js'

/** Everything a scenario needs from the run: where things are, and what to clean up after. */
export interface BenchContext {
  runId: string
  options: BenchOptions
  repoRoot: string
  /** A directory of this run's own under the OS temp dir: the SQLite file, Redis' dir. */
  workDir: string
  children: ChildProcesses
  /** The shared Redis (REDIS_URL), and an admin client on it for prefills and cleanup. */
  redisUrl: string
  redis: Redis
  /** With --topology cluster: a Redis Cluster of the run's own, and an admin client on it. */
  cluster: BenchRedisCluster | undefined
  databaseUrl: string
  products: number
  adminToken: string
  /** GET /products/1 as the service answers it from the cache; the references send it too. */
  referenceBodyFile: string
  cpuProfDir: string | undefined
  progress: Progress
  /** A Redis key prefix of this run's own (`bench:<runId>:<suffix>`), deleted at the end. */
  keyPrefix(suffix: string): string
}

export interface BenchRedisCluster extends OwnRedisCluster {
  admin: Cluster
  /** redis_version of its nodes (the shared Redis may be another build). */
  version: string
}

export const PRODUCTS = 10_000
const SEED_TIMEOUT_MS = 120_000

/**
 * Creates the run's temp dir, connects to the shared Redis, and seeds one SQLite file by starting
 * the service once (its first start seeds `PRODUCTS` products); every service of the run then
 * shares that file. Call `closeBenchContext` in a `finally`.
 */
export async function openBenchContext(
  options: BenchOptions,
  repoRoot: string,
  progress: Progress,
  children: ChildProcesses,
): Promise<BenchContext> {
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`
  const workDir = await mkdtemp(join(tmpdir(), 'caching-bench-'))
  const redisUrl = process.env.REDIS_URL ?? `redis://${HOST}:6379`
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {}) // a failed command rejects; that is enough
  const cpuProfDir = options.cpuProf
    ? join(repoRoot, options.outDir, `${runId}-profiles`)
    : undefined
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true })

  const context: BenchContext = {
    runId,
    options,
    repoRoot,
    workDir,
    children,
    redisUrl,
    redis,
    cluster: undefined,
    databaseUrl: `sqlite:${join(workDir, 'catalog.db')}`,
    products: PRODUCTS,
    adminToken: randomBytes(16).toString('hex'),
    referenceBodyFile: join(workDir, 'product-1.json'),
    cpuProfDir,
    progress,
    keyPrefix: (suffix) => `${runPrefix(runId)}${suffix}`,
  }
  try {
    await redis.connect().catch((error: unknown) => {
      throw new Error(`cannot reach Redis at ${redisUrl} (set REDIS_URL): ${String(error)}`)
    })
    if (options.topology === 'cluster') context.cluster = await startCluster(context)
    await seedDatabase(context)
    return context
  } catch (error) {
    await closeBenchContext(context)
    throw error
  }
}

/** 3 masters and 3 replicas in the run's temp dir, with an admin client connected to them. */
async function startCluster(context: BenchContext): Promise<BenchRedisCluster> {
  const cluster = await startOwnRedisCluster(context.children, context.workDir)
  const admin = new Cluster(cluster.seeds, {
    lazyConnect: true,
    redisOptions: { maxRetriesPerRequest: 1 },
  })
  admin.on('error', () => {}) // a failed command rejects; that is enough
  try {
    await admin.connect()
    const info = await admin.nodes('master')[0]?.info('server')
    const version = /redis_version:(\S+)/.exec(info ?? '')?.[1] ?? 'unknown'
    context.progress.log(
      `Redis Cluster ${version}: ${cluster.masters} masters + ` +
        `${cluster.masters * cluster.replicasPerMaster} replicas formed in ${cluster.formedInMs} ms ` +
        `(${cluster.seeds.join(',')})`,
    )
    return { ...cluster, admin, version }
  } catch (error) {
    admin.disconnect()
    await cluster.stop()
    throw error
  }
}

/** Every key of the run starts with this, so one SCAN finds them all at the end. */
const runPrefix = (runId: string) => `bench:${runId}:`

/** Starts the service on the empty database once: it migrates and seeds, then it is stopped. */
async function seedDatabase(context: BenchContext): Promise<void> {
  const port = await freePort()
  const seeder = context.children.spawn('seed', process.execPath, ['dist/start/server.js'], {
    cwd: context.repoRoot,
    env: serviceEnv(
      { ...context, port, keyPrefix: context.keyPrefix('seed:') },
      { CACHE_STRATEGY: 'none' },
    ),
  })
  try {
    const url = `http://${HOST}:${port}`
    await waitForOk(`${url}/ready`, seeder, SEED_TIMEOUT_MS)
    const response = await fetch(`${url}/products/1`)
    if (!response.ok) throw new Error(`GET /products/1 answered ${response.status}`)
    const body = (await response.json()) as { source: string; data: unknown }
    // What the service sends for a cache hit, byte for byte in shape.
    await writeFile(context.referenceBodyFile, JSON.stringify({ ...body, source: 'cache' }))
  } finally {
    await seeder.stop()
  }
}

/**
 * Stops every process still running, deletes every key of the run (on the shared Redis, and on
 * every master of the run's Redis Cluster before that is stopped), removes the temp dir.
 * `deletedKeys` counts both; `clusterKeys` those of the cluster.
 */
export async function closeBenchContext(
  context: BenchContext,
): Promise<{ deletedKeys: number; clusterKeys: number }> {
  const { cluster } = context
  await context.children.stopAll(new Set(cluster?.children))
  const prefixes = [runPrefix(context.runId), `{${queuePrefixOf(context.runId)}}`]
  let deletedKeys = 0
  if (context.redis.status === 'ready') {
    for (const prefix of prefixes) {
      deletedKeys += await deleteKeysByPrefix(context.redis, prefix).catch(() => 0)
    }
  }
  context.redis.disconnect()
  let clusterKeys = 0
  if (cluster) {
    if (cluster.admin.status === 'ready') {
      for (const prefix of prefixes) {
        clusterKeys += await deleteKeysByPrefix(cluster.admin, prefix).catch(() => 0)
      }
    }
    cluster.admin.disconnect()
    await cluster.stop()
  }
  await rm(context.workDir, { recursive: true, force: true })
  return { deletedKeys: deletedKeys + clusterKeys, clusterKeys }
}
