import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { expect, it, onTestFinished } from 'vitest'
import { startTestApp } from '../support/app.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startRedisServer } from '../support/redis.js'
import { POLL } from '../worker/write-behind-support.js'
import { percentiles, range, round, StatusTally, timed } from './support/traffic.js'

// Redis stops answering (a partition or a hung server: sockets stay open, nothing comes back)
// for 5 s while the app is read from continuously, with the production command timeout
// (100 ms). Reads must all succeed, from L1 or the database; the circuit breaker must open, so
// that a read stops paying a timeout per Redis call, and close again once Redis answers.

const BLACKHOLE_MS = 5_000
/** Read before the fault: in L1 and in Redis. */
const WARM = range(1, 20)
/** Never read before: each read of the fault is a miss that must load from the database. */
const COLD = range(21, 600)
const WARM_LANES = 2
const COLD_LANES = 3
const GAP_MS = 5
/** How long the circuit may take to close once Redis answers (it probes 1 s after opening). */
const CLOSE_DEADLINE_MS = 5_000

/** cache_circuit_state: 0 closed, 1 half-open, 2 open. */
const OPEN = 2
const CLOSED = 0

it('answers every read through a 5 s blackhole, opens the circuit, and closes it after', async () => {
  const server = await startRedisServer()
  onTestFinished(() => server.dispose())
  const proxy = await startFaultProxy({ targetPort: server.port })
  onTestFinished(() => proxy.close())
  const t = await startTestApp({
    REDIS_URL: proxy.url,
    REDIS_COMMAND_TIMEOUT_MS: '100',
    SEED_PRODUCTS: String(COLD.at(-1)),
  })
  onTestFinished(() => t.close())
  onTestFinished(() => proxy.heal()) // first: the app's close cleans up through Redis
  const { app } = t

  for (const id of WARM) expect((await app.inject(`/products/${id}`)).statusCode).toBe(200)
  expect(await circuitState(app)).toBe(CLOSED)
  const errorsBefore = await productErrors(app)

  const statuses = new StatusTally()
  const warmMs: number[] = []
  const coldMs: { beforeOpen: number[]; whileOpen: number[] } = { beforeOpen: [], whileOpen: [] }
  let openedAt: number | undefined
  let errorsWhenOpened = 0
  let lateTimeoutsWhenOpened = 0
  const cold = COLD.values()
  const read = async (id: number) => {
    const { value: response, ms } = await timed(() => app.inject(`/products/${id}`))
    statuses.add(response.statusCode)
    return ms
  }

  proxy.blackhole()
  const started = performance.now()
  const during = () => performance.now() - started < BLACKHOLE_MS
  const whileBlackholed = async (step: () => Promise<void>) => {
    while (during()) {
      await step()
      await sleep(GAP_MS)
    }
  }
  // The gauge /metrics exports, watched as it changes: the moment it first reads "open".
  const watchCircuit = whileBlackholed(async () => {
    if (openedAt !== undefined || (await circuitState(app)) !== OPEN) return
    openedAt = performance.now() - started
    errorsWhenOpened = (await productErrors(app)) - errorsBefore
    lateTimeoutsWhenOpened = await productLateTimeouts(app)
  })
  const warmLanes = range(1, WARM_LANES).map((laneNo) =>
    whileBlackholed(async () => {
      warmMs.push(await read(WARM[(laneNo * 7 + warmMs.length) % WARM.length] as number))
    }),
  )
  const coldLanes = range(1, COLD_LANES).map(() =>
    whileBlackholed(async () => {
      const id = cold.next().value
      if (id === undefined) throw new Error('ran out of cold products: seed more')
      const samples = openedAt === undefined ? coldMs.beforeOpen : coldMs.whileOpen
      samples.push(await read(id))
    }),
  )
  // A scrape during the fault: does /metrics answer while Redis does not? (Not asserted.)
  const scrape = timed(() => app.inject('/metrics')).then(({ ms }) => ms)
  await Promise.all([watchCircuit, ...warmLanes, ...coldLanes])
  const stateAtEnd = await circuitState(app)

  proxy.heal()
  const healed = performance.now()
  // The breaker probes Redis only when called: keep reading cold products until it closes.
  let readsToClose = 0
  const closeMs = await expect
    .poll(
      async () => {
        if ((await circuitState(app)) === CLOSED) return true
        const id = cold.next().value
        if (id === undefined) throw new Error('ran out of cold products: seed more')
        readsToClose++
        await read(id)
        return false
      },
      { ...POLL, timeout: CLOSE_DEADLINE_MS, interval: GAP_MS },
    )
    .toBe(true)
    .catch(() => undefined)
  const metricsText = (await app.inject('/metrics')).body
  const scrapeMs = await scrape

  const figures = {
    blackholeMs: BLACKHOLE_MS,
    reads: statuses.counts,
    warmLatencyMs: percentiles(warmMs),
    coldLatencyMs: {
      beforeOpen: percentiles(coldMs.beforeOpen),
      whileOpen: percentiles(coldMs.whileOpen),
    },
    circuitOpenedAfterMs: openedAt === undefined ? 'never' : round(openedAt),
    redisErrorsBeforeOpen: errorsWhenOpened,
    lateTimeoutsBeforeOpen: lateTimeoutsWhenOpened,
    redisErrorsInAll: (await productErrors(app)) - errorsBefore,
    stateAtEndOfBlackhole: stateAtEnd,
    closedAfterHealMs: closeMs === undefined ? `> ${CLOSE_DEADLINE_MS}` : round(closeMs),
    readsToClose,
    metricsScrapeStartedInBlackholeMs: round(scrapeMs),
    totalMs: round(performance.now() - started),
    healToEndMs: round(performance.now() - healed),
  }
  console.info(`Redis blackholed for ${BLACKHOLE_MS} ms: ${JSON.stringify(figures, null, 1)}`)

  expect(statuses.count((status) => status !== 200)).toBe(0)
  expect(warmMs.length).toBeGreaterThan(0)
  expect(coldMs.beforeOpen.length + coldMs.whileOpen.length).toBeGreaterThan(0)
  expect(openedAt).toBeDefined()
  expect(closeMs).toBeDefined()
  expect(metricsText).toMatch(/^cache_circuit_state 0$/m)
})

async function circuitState(app: FastifyInstance): Promise<number | undefined> {
  return (await app.metrics.cacheCircuitState.get()).values[0]?.value
}

/** cache_errors_total{cache="product"}: failed or timed-out Redis calls of product reads. */
async function productErrors(app: FastifyInstance): Promise<number> {
  const { values } = await app.metrics.cacheErrors.get()
  return values.reduce(
    (sum, { labels, value }) => sum + (labels.cache === 'product' ? value : 0),
    0,
  )
}

async function productLateTimeouts(app: FastifyInstance): Promise<number> {
  const { values } = await app.metrics.cacheLateTimeouts.get()
  return values.reduce(
    (sum, { labels, value }) => sum + (labels.cache === 'product' ? value : 0),
    0,
  )
}
