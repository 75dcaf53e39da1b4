import { type AddressInfo, connect, type Socket } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

// A mistake of the client's keeps its 4xx status and never logs at error level; a client that
// hangs up is not an error at all. Some requests here cannot be made with `inject` (an unknown
// method, a `..` path it would normalise, a body cut short), so they go over a real socket.

type LogLine = { level: number; msg: string; reqId?: string }

const ERROR_LEVEL = 50

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Sends `head` as written (plus Connection: close) and reads the whole response. */
async function rawRequest(port: number, head: string) {
  const socket = await openSocket(port)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  const closed = new Promise((resolve) => socket.once('close', resolve))
  socket.write(`${head}\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
  await closed
  const [headText = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n')
  const [statusLine = '', ...headerLines] = headText.split('\r\n')
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  )
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

describe('client mistakes', () => {
  let t: TestApp
  let port: number
  const lines: LogLine[] = []
  const errorLines = () => lines.filter((line) => line.level >= ERROR_LEVEL)

  beforeAll(async () => {
    // At debug every request is logged, so a test can see that its request arrived.
    t = await startTestApp({ LOG_LEVEL: 'debug' }, undefined, {
      logStream: { write: (line) => lines.push(JSON.parse(line)) },
    })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as AddressInfo).port
  })
  afterAll(() => t.close())
  beforeEach(() => {
    lines.length = 0
  })

  it('answers a method it does not route with a 4xx problem, not a 500', async () => {
    const response = await rawRequest(port, 'QUERY /zz HTTP/1.1')
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(response.body)).toMatchObject({
      status: response.status,
      code: 'bad_request',
    })
    expect(errorLines()).toEqual([])
  })

  it('answers a Range past the end of a docs asset with 416', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/docs/static/index.css',
      headers: { range: 'bytes=999999999-' },
    })
    expect(response.statusCode).toBe(416)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ status: 416, code: 'range_not_satisfiable' })
    expect(errorLines()).toEqual([])
  })

  it('answers an If-Match that fails on a docs asset with 412', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/docs/static/index.css',
      headers: { 'if-match': '"not-this-one"' },
    })
    expect(response.statusCode).toBe(412)
    expect(response.json()).toMatchObject({ status: 412, code: 'precondition_failed' })
    expect(errorLines()).toEqual([])
  })

  it('refuses a `..` path on the docs static route with 403, naming no file', async () => {
    const response = await rawRequest(port, 'GET /docs/static/../../package.json HTTP/1.1')
    expect(response.status).toBe(403)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    const problem = JSON.parse(response.body)
    expect(problem).toMatchObject({ status: 403, code: 'forbidden' })
    expect(problem.detail).not.toMatch(/\/|node_modules|at /)
    expect(errorLines()).toEqual([])
  })

  it('does not log a client that hangs up mid-body as an error', async () => {
    const socket = await openSocket(port)
    socket.on('error', () => {}) // the reset is ours
    socket.write(
      'PUT /products/1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: ${auth.authorization}\r\nContent-Length: 1000\r\n\r\n{"name":`,
    )
    // Hang up only once the app has the request, so it is reading the body when we go.
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'incoming request')).toBe(true))
    socket.destroy()

    const outcome = () =>
      lines.filter((l) => ['client aborted the request', 'request failed'].includes(l.msg))
    await vi.waitFor(() => expect(outcome()).toHaveLength(1), { timeout: 5000 })
    expect(outcome()[0]).toMatchObject({
      msg: 'client aborted the request',
      reqId: expect.any(String),
    })
    expect(errorLines()).toEqual([])
  })
})
