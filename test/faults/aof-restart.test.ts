import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { expect, it, onTestFinished } from 'vitest'
import { startCluster } from '../support/cluster.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'
import { drained, POLL, patchLater, startWorkerApp } from '../worker/write-behind-support.js'
import {
  fieldOf,
  lane,
  range,
  round,
  rowsOf,
  StatusTally,
  timed,
  valueFor,
  WriteLedger,
  type WriteOutcome,
} from './support/traffic.js'

// Redis dies (SIGKILL) in the middle of a stream of deferred writes, with no worker running, so
// every acknowledged write is still staged in Redis; it comes back, then a worker runs. With an
// append-only file fsynced on every write, every acknowledged write must reach the database.
// The control shows what the persistence check prevents: a Redis without persistence that is
// trusted all the same (the check off) answers 202, restarts empty, and loses them.

const PRODUCTS = range(1, 10)
const WRITES_PER_PRODUCT = 10
/** Two lanes per instance, each writing a product's writes in a row, then the next product's. */
const LANES = 4
const WRITE_GAP_MS = 5
/** A client's pause after a 503, so that the stream does not burn through the outage. */
const BACKOFF_MS = 50
/** Redis goes down once this many writes have been answered: the middle of the stream. */
const KILL_AFTER = (PRODUCTS.length * WRITES_PER_PRODUCT) / 2

it('with appendfsync always, SIGKILL and restart from the AOF: no acknowledged write is lost', async () => {
  const server = await startRedisServer({ appendonly: true, appendfsync: 'always' })
  onTestFinished(() => server.dispose())
  const figures = await streamAcrossRestart(server, {}, async () => {
    await server.kill()
    await server.start()
  })
  console.info(`SIGKILL, restart from the AOF: ${JSON.stringify(figures, null, 1)}`)

  expect(figures.problems).toEqual([])
  expect(figures.lost).toBe(0)
  expect(figures.refusedButWritten).toBe(0)
  expect(figures.acknowledgedBeforeKill).toBeGreaterThan(0)
  expect(figures.acknowledgedAfterRestart).toBeGreaterThan(0)
})

it('control: no persistence, trusted anyway (persistence-check off), restarted empty: acknowledged writes are lost', async () => {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const figures = await streamAcrossRestart(
    server,
    { UNSAFE_DISABLE_PROTECTIONS: 'persistence-check' },
    () => server.restart(),
  )
  console.info(`no persistence, restarted: ${JSON.stringify(figures, null, 1)}`)

  expect(figures.acknowledgedBeforeKill).toBeGreaterThan(0)
  expect(figures.lost).toBeGreaterThan(0)
})

/**
 * Two API instances take a stream of deferred writes: each product's writes in a row, each
 * write through either instance in turn, a field per write. Once half have been answered, Redis
 * goes down and comes back (`outage`) while the stream goes on. Then a worker drains what is
 * staged, and the rows say what survived.
 */
async function streamAcrossRestart(
  server: RedisServer,
  env: Record<string, string>,
  outage: () => Promise<void>,
) {
  const cluster = await startCluster(2, { REDIS_URL: server.url, ...env })
  onTestFinished(() => cluster.close())
  const { apps, config } = cluster
  const [first] = apps as [FastifyInstance, FastifyInstance]
  const before = await rowsOf(first, PRODUCTS)

  const statuses = new StatusTally()
  const ledger = new WriteLedger()
  const unexpected: string[] = []
  let answered = 0
  let acknowledgedBeforeKill = 0
  let acknowledgedAfterRestart = 0
  let phase: 'before' | 'down' | 'after' = 'before'
  let downMs = 0
  let firstAckAfterRestartMs: number | undefined
  let restarted = 0

  let outageDone: Promise<void> | undefined
  const goDown = async () => {
    phase = 'down'
    const { ms } = await timed(outage)
    downMs = ms
    restarted = performance.now()
    phase = 'after'
  }

  const write = async (id: number, seq: number) => {
    const app = apps[(id + seq) % apps.length] as FastifyInstance
    const field = fieldOf(seq)
    const value = valueFor(field, id, seq)
    const sentIn = phase
    const response = await patchLater(app, id, { [field]: value })
    statuses.add(response.statusCode)
    let outcome: WriteOutcome
    if (response.statusCode === 202) {
      outcome = 'acknowledged'
      if (sentIn === 'before') acknowledgedBeforeKill++
      if (sentIn === 'after') {
        acknowledgedAfterRestart++
        firstAckAfterRestartMs ??= performance.now() - restarted
      }
    } else {
      // A 503 may have been staged before its reply was lost: its outcome is unknown.
      outcome = 'unknown'
      if (response.statusCode !== 503) unexpected.push(`#${id}: ${response.statusCode}`)
    }
    ledger.record(id, field, value, outcome)
    if (++answered === KILL_AFTER) outageDone = goDown()
    if (response.statusCode !== 202) await sleep(BACKOFF_MS)
  }
  const queue = PRODUCTS.values()
  const writeLane = async () => {
    for (const id of queue) await lane(WRITES_PER_PRODUCT, WRITE_GAP_MS, (seq) => write(id, seq))
  }
  const started = performance.now()
  await Promise.all(range(1, LANES).map(writeLane))
  const streamMs = performance.now() - started
  await outageDone

  const worker = await startWorkerApp(config, first)
  onTestFinished(() => worker.close())
  const drainStarted = performance.now()
  await expect
    .poll(() => drained(first, config).catch(() => false), { ...POLL, timeout: 20_000 })
    .toBe(true)
  const drainMs = performance.now() - drainStarted
  const verdict = ledger.judge(before, await rowsOf(first, PRODUCTS))
  return {
    writes: PRODUCTS.length * WRITES_PER_PRODUCT,
    statuses: statuses.counts,
    acknowledged: ledger.acknowledged,
    acknowledgedBeforeKill,
    acknowledgedAfterRestart,
    lastAcknowledgedChecked: verdict.checked,
    lost: verdict.lost,
    unknownOutcomeInRow: verdict.unknownApplied,
    refusedButWritten: verdict.refusedButWritten,
    unexpected,
    /** The first few, in words (all of them fail the test). */
    problems: verdict.problems.slice(0, 5),
    redisDownMs: round(downMs),
    firstAckAfterRestartMs:
      firstAckAfterRestartMs === undefined ? 'none' : round(firstAckAfterRestartMs),
    streamMs: round(streamMs),
    drainMs: round(drainMs),
  }
}
