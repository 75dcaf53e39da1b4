import { afterEach, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

// Requests share the app's logger unless they are logged (LOG_LEVEL=debug): a child logger per
// request costs as much as an L1 hit. An error must still name its request.

type LogLine = Record<string, unknown>

async function appLoggingTo(lines: LogLine[], level: string) {
  return startTestApp({ LOG_LEVEL: level }, undefined, {
    logStream: { write: (line) => lines.push(JSON.parse(line)) },
  })
}

describe('request logs', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('logs a 5xx once, with its request id and cause, at LOG_LEVEL=warn', async () => {
    const lines: LogLine[] = []
    t = await appLoggingTo(lines, 'warn')
    await t.dependencies.database.close() // nothing cached, and every query fails: a 503
    const response = await t.app.inject({ method: 'GET', url: '/products/3' })
    expect(response.statusCode).toBe(503)

    const failures = lines.filter((line) => line.msg === 'request failed')
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ level: 50, reqId: expect.any(String) })
    expect(failures[0]?.err).toMatchObject({ type: 'AppError' })
    expect(lines.filter((line) => line.msg === 'request completed')).toHaveLength(0)
  })

  it('logs every request with its id at LOG_LEVEL=debug', async () => {
    const lines: LogLine[] = []
    t = await appLoggingTo(lines, 'debug')
    await t.app.inject({ method: 'GET', url: '/products/1' })
    await t.app.inject({ method: 'GET', url: '/products/1' })
    const completed = lines.filter((line) => line.msg === 'request completed')
    expect(completed).toHaveLength(2)
    const ids = new Set(completed.map((line) => line.reqId))
    expect(ids.size).toBe(2)
  })
})
