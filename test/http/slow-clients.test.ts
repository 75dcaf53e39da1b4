import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js'
import { POLL } from '../worker/write-behind-support.js'

const REQUEST_TIMEOUT_MS = 500
const CONNECTION_TIMEOUT_MS = 1000
const MAX_CONNECTIONS = 20

/** A raw client socket: what it received, and when (ms after opening) the server closed it. */
interface RawClient {
  socket: Socket
  received(): string
  closedAfterMs: Promise<number>
}

function openClient(port: number, opened: Socket[]): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const socket = connect(port, '127.0.0.1')
    opened.push(socket)
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    socket.on('error', () => {}) // a refused or timed-out socket may be reset: its close says so
    const closedAfterMs = new Promise<number>((done) =>
      socket.once('close', () => done(performance.now() - startedAt)),
    )
    socket.once('connect', () => resolve({ socket, received: () => received, closedAfterMs }))
    socket.once('error', reject)
  })
}

function closeAll(sockets: Socket[]) {
  for (const socket of sockets) socket.destroy()
}

describe('slow clients are cut off by the request and connection timeouts', () => {
  let t: TestApp
  let port: number
  const sockets: Socket[] = []
  beforeAll(async () => {
    t = await startTestApp({
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
    })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    closeAll(sockets)
    await t.close()
  })

  it('answers 408 and closes a request whose body dribbles in past the request timeout', async () => {
    const client = await openClient(port, sockets)
    client.socket.write(
      'PATCH /products/1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: 60000\r\n\r\n{`,
    )
    // A byte every 50 ms: the socket is never idle, so only the request timeout can end it.
    const dribble = setInterval(() => client.socket.write(' '), 50)
    const closedAfterMs = await client.closedAfterMs.finally(() => clearInterval(dribble))
    console.log(
      `dribbled body: ${client.received().split('\r\n')[0]}, closed after ` +
        `${closedAfterMs.toFixed(0)} ms (REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`,
    )
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS)
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 3000)
  })

  it('answers 408 and closes a connection that never sends a request', async () => {
    const client = await openClient(port, sockets)
    const closedAfterMs = await client.closedAfterMs
    console.log(
      `silent new connection: ${client.received().split('\r\n')[0]}, closed after ` +
        `${closedAfterMs.toFixed(0)} ms (REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`,
    )
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 3000)
  })

  it('closes a keep-alive connection left idle after a response', async () => {
    const client = await openClient(port, sockets)
    client.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const answeredAt = await new Promise<number>((resolve) =>
      client.socket.once('data', () => resolve(performance.now())),
    )
    await client.closedAfterMs
    const idleMs = performance.now() - answeredAt
    console.log(
      `idle keep-alive connection closed ${idleMs.toFixed(0)} ms after its response ` +
        `(CONNECTION_TIMEOUT_MS=${CONNECTION_TIMEOUT_MS}; Node adds 1 s of grace)`,
    )
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /)
    expect(idleMs).toBeGreaterThanOrEqual(CONNECTION_TIMEOUT_MS)
    expect(idleMs).toBeLessThan(CONNECTION_TIMEOUT_MS + 4000)
  })
})

describe('with the timeouts at their longest (600 s), to show what they prevent', () => {
  let t: TestApp
  let port: number
  const sockets: Socket[] = []
  beforeAll(async () => {
    t = await startTestApp({ REQUEST_TIMEOUT_MS: '600000', CONNECTION_TIMEOUT_MS: '600000' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    closeAll(sockets)
    await t.close()
  })

  it(`a body dribbling in holds its socket (and a descriptor) well past ${REQUEST_TIMEOUT_MS} ms`, async () => {
    const client = await openClient(port, sockets)
    client.socket.write(
      'PATCH /products/1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: 60000\r\n\r\n{`,
    )
    const dribble = setInterval(() => client.socket.write(' '), 50)
    // A window for something that must not happen: the server closing it.
    const closed = await Promise.race([
      client.closedAfterMs.then(() => true),
      new Promise<false>((resolve) => setTimeout(resolve, 4 * REQUEST_TIMEOUT_MS, false)),
    ])
    clearInterval(dribble)
    expect(closed).toBe(false)
    expect(client.received()).toBe('')
  })
})

describe('connections over MAX_CONNECTIONS are closed as they arrive', () => {
  let t: TestApp
  let port: number
  const sockets: Socket[] = []
  beforeAll(async () => {
    t = await startTestApp({ MAX_CONNECTIONS: String(MAX_CONNECTIONS) })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    closeAll(sockets)
    await t.close()
  })

  it(`holds ${MAX_CONNECTIONS} sockets open and closes the ones after`, async () => {
    const extra = 10
    let dropped = 0
    const allDropped = new Promise<void>((resolve) =>
      t.app.server.on('drop', () => {
        dropped += 1
        if (dropped === extra) resolve()
      }),
    )
    const held: RawClient[] = []
    for (let i = 0; i < MAX_CONNECTIONS; i++) held.push(await openClient(port, sockets))
    // Only once the server has counted the first ones may the later ones be over the cap.
    await expect.poll(async () => (await connectionCount(t)) === MAX_CONNECTIONS, POLL).toBe(true)
    const over = await Promise.all(Array.from({ length: extra }, () => openClient(port, sockets)))
    await allDropped
    await Promise.all(over.map((client) => client.closedAfterMs))
    const stillOpen = held.filter(
      (client) => !client.socket.destroyed && !client.socket.readableEnded,
    )
    console.log(
      `MAX_CONNECTIONS=${MAX_CONNECTIONS}: ${stillOpen.length} of ${held.length} held open, ` +
        `${dropped} of ${extra} later ones closed by the server`,
    )
    expect(stillOpen).toHaveLength(MAX_CONNECTIONS)
    // A held socket still serves a request.
    const first = held[0] as RawClient
    first.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await expect.poll(async () => first.received().startsWith('HTTP/1.1 200 '), POLL).toBe(true)
  })
})

function connectionCount(t: TestApp): Promise<number> {
  return new Promise((resolve, reject) =>
    t.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  )
}

describe('with no cap (MAX_CONNECTIONS=0), to show what it prevents', () => {
  let t: TestApp
  let port: number
  const sockets: Socket[] = []
  beforeAll(async () => {
    t = await startTestApp({ MAX_CONNECTIONS: '0' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    closeAll(sockets)
    await t.close()
  })

  it(`holds every one of ${MAX_CONNECTIONS + 10} idle sockets, each a descriptor`, async () => {
    for (let i = 0; i < MAX_CONNECTIONS + 10; i++) await openClient(port, sockets)
    await expect
      .poll(async () => (await connectionCount(t)) === MAX_CONNECTIONS + 10, POLL)
      .toBe(true)
  })
})
