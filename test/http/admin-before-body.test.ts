import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

/** A body the client announces but never finishes: the 401 must not wait for it. */
const ANNOUNCED_BYTES = 60_000

describe('the admin check runs before the body is read', () => {
  let t: TestApp
  let port: number
  const sockets: Socket[] = []
  beforeAll(async () => {
    t = await startTestApp()
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await t.close()
  })

  it('refuses an anonymous PUT with an invalid body: 401, not 400', async () => {
    const response = await t.app.inject({ method: 'PUT', url: '/products/1', payload: {} })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.json()).toMatchObject({ code: 'unauthorized' })
  })

  it('refuses a wrong token before validation too, and checks the body of the right one', async () => {
    const wrong = { authorization: 'Bearer not-the-admin-token' }
    const refused = await t.app.inject({
      method: 'PATCH',
      url: '/products/1',
      headers: wrong,
      payload: '{not json',
    })
    expect(refused.statusCode).toBe(401)
    const invalid = await t.app.inject({
      method: 'PUT',
      url: '/products/1',
      headers: auth,
      payload: {},
    })
    expect(invalid.statusCode).toBe(400)
  })

  it('answers an anonymous PATCH whose body never completes at once', async () => {
    const startedAt = performance.now()
    const socket = connect(port, '127.0.0.1')
    sockets.push(socket)
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    socket.on('error', () => {}) // the server may reset a socket whose body it never read
    const answered = new Promise<number>((resolve) => {
      const check = () => {
        if (received.includes('\r\n\r\n')) resolve(performance.now() - startedAt)
      }
      socket.on('data', check)
      socket.once('close', () => resolve(performance.now() - startedAt))
    })
    socket.write(
      'PATCH /products/1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${ANNOUNCED_BYTES}\r\n\r\n{"na`,
    )
    const elapsedMs = await answered
    console.log(
      `anonymous PATCH announcing ${ANNOUNCED_BYTES} bytes, 4 sent: ` +
        `${received.split('\r\n')[0]} after ${elapsedMs.toFixed(0)} ms ` +
        `(request timeout ${t.config.REQUEST_TIMEOUT_MS} ms)`,
    )
    expect(received).toMatch(/^HTTP\/1\.1 401 /)
    // Loose: the point is "not after the body or the request timeout", not a latency figure.
    expect(elapsedMs).toBeLessThan(t.config.REQUEST_TIMEOUT_MS / 3)
  })
})
