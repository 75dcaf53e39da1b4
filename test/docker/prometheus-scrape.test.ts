import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parsePrometheusText, sumSamples } from '../../bench/prometheus-text.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { dashboardQueries, readDashboard, withVariablesFilled } from './support/dashboard.js'
import { type PrometheusServer, startPrometheus } from './support/prometheus-server.js'
import { toolAvailable } from './support/tools.js'

/**
 * The dashboard's hit ratio, fresh hits / reads (hits + stale + misses), over the counters' whole
 * life rather than a rate window, so it can equal what the service counted exactly.
 */
const HIT_RATIO = `
    sum(cache_hits_total{cache="product"})
  / (
      sum(cache_hits_total{cache="product"})
    + (sum(cache_stale_served_total{cache="product"}) or vector(0))
    + sum(cache_misses_total{cache="product"})
  )`

const scrapeEverySecond = (target: string) => `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: caching-strategies
    static_configs:
      - targets: ["${target}"]
`

describe.skipIf(!toolAvailable('prometheus'))('a real Prometheus scraping the service', () => {
  let service: TestApp
  let prometheus: PrometheusServer
  let base: string

  /** The start time (ms) of the first completed scrape that began after `time`. */
  const scrapeStartedAfter = (time: number) =>
    vi.waitFor(
      async () => {
        const [target] = await prometheus.activeTargets()
        const started = Date.parse(target?.lastScrape ?? '')
        expect(target?.health, 'the target is scraped').toBe('up')
        expect(started, `a scrape after ${new Date(time).toISOString()}`).toBeGreaterThan(time)
        return started
      },
      { timeout: 20_000, interval: 100 },
    )

  beforeAll(async () => {
    // A patient Redis timeout, so a loaded machine cannot fail the start (not tested here).
    service = await startTestApp({ REDIS_COMMAND_TIMEOUT_MS: '1000' })
    await service.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = service.app.server.address() as AddressInfo
    base = `http://127.0.0.1:${port}`
    prometheus = await startPrometheus(scrapeEverySecond(`127.0.0.1:${port}`))
  })
  afterAll(async () => {
    await prometheus?.stop()
    await service?.close()
  })

  it('reads back through PromQL the hit ratio the service counted', async () => {
    await scrapeStartedAfter(0)
    // 8 products read 4 times each: a miss, then hits.
    for (let round = 0; round < 4; round++) {
      for (let id = 1; id <= 8; id++) {
        expect((await fetch(`${base}/products/${id}`)).status).toBe(200)
      }
    }
    // Traffic stopped: the first scrape begun after it saw every read; waiting for one more
    // makes sure that one's samples are stored before asking.
    await scrapeStartedAfter(await scrapeStartedAfter(Date.now()))

    const counted = parsePrometheusText(await (await fetch(`${base}/metrics`)).text())
    const product = { cache: 'product' }
    const hits = sumSamples(counted, 'cache_hits_total', product)
    const stale = sumSamples(counted, 'cache_stale_served_total', product)
    const misses = sumSamples(counted, 'cache_misses_total', product)
    expect({ hits, stale, misses }).toEqual({ hits: 24, stale: 0, misses: 8 })

    const [sample, ...others] = await prometheus.query(HIT_RATIO)
    expect(others).toEqual([])
    expect(Number(sample?.value[1])).toBeCloseTo(hits / (hits + stale + misses), 12)
  }, 40_000)

  it('runs every query of the dashboard without an error', async () => {
    for (const { panel, expression } of dashboardQueries(readDashboard())) {
      await expect(prometheus.query(withVariablesFilled(expression)), panel).resolves.toBeDefined()
    }
  })
})
