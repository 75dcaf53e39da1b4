import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportedSeriesNames } from '../../bench/prometheus-text.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { dashboardQueries, readDashboard } from './support/dashboard.js'
import { metricNames } from './support/promql-metric-names.js'

const DATASOURCES = new URL(
  '../../docker/grafana/provisioning/datasources/prometheus.yml',
  import.meta.url,
)

describe('the provisioned Grafana dashboard', () => {
  const dashboard = readDashboard()
  const queries = dashboardQueries(dashboard)

  let service: TestApp
  let exported: Set<string>
  beforeAll(async () => {
    // API and worker in one process, so the metrics of both roles are registered; a patient
    // Redis timeout, so a loaded machine cannot fail the start (timeouts are not tested here).
    service = await startTestApp({ ROLE: 'all', REDIS_COMMAND_TIMEOUT_MS: '1000' })
    const { app } = service
    for (const url of ['/products/1', '/products/1', '/products?limit=5', '/products/999999']) {
      expect((await app.inject(url)).statusCode).toBeLessThan(500)
    }
    const metrics = await app.inject('/metrics')
    expect(metrics.statusCode).toBe(200)
    exported = exportedSeriesNames(metrics.body)
  })
  afterAll(async () => {
    await service?.close()
  })

  it('queries only metrics the running service exports', () => {
    const missing = queries.flatMap(({ panel, expression }) =>
      metricNames(expression)
        .filter((name) => !exported.has(name))
        .map((name) => `${panel}: ${name}`),
    )
    expect([...new Set(missing)]).toEqual([])
  })

  it('has the panels the issue asks for, each with a query', () => {
    const titles = new Set(queries.map((query) => query.panel))
    for (const title of [
      'Hit ratio per tier',
      'Requests / s by route',
      'Latency by route (p50 / p95 / p99)',
      'Database load saved',
      'Stale served',
      'Coalesced loads',
      'Queue depth',
      'Redis latency (p50 / p99 by command)',
    ]) {
      expect(titles).toContain(title)
    }
  })

  it('reads from the datasource Grafana is provisioned with', () => {
    const uid = /^\s*uid:\s*(\S+)/m.exec(readFileSync(DATASOURCES, 'utf8'))?.[1]
    expect(uid).toBeDefined()
    const used = new Set(
      Array.from(
        JSON.stringify(dashboard).matchAll(/"datasource":\{"type":"prometheus","uid":"([^"]+)"\}/g),
        (match) => match[1],
      ),
    )
    expect([...used]).toEqual([uid])
  })
})
