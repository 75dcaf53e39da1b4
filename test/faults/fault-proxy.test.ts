import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { POLL } from '../../packages/cache/test/helpers.js'
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js'
import { type RedisServer, startRedisServer } from '../support/redis.js'

// The fault proxy against a real redis-server, seen through the client it is meant to fool.

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.dispose())

async function proxy(): Promise<FaultProxy> {
  const started = await startFaultProxy({ targetPort: server.port })
  onTestFinished(() => started.close())
  return started
}

/** An ioredis client through `url` that records its 'close' events and keeps its errors quiet. */
async function client(url: string, options: RedisOptions = {}) {
  const redis = new Redis(url, { lazyConnect: true, connectionName: randomUUID(), ...options })
  onTestFinished(() => disconnect(redis))
  const events = { closes: 0, errors: [] as string[] }
  redis.on('close', () => events.closes++)
  // Listened to, so ioredis does not log them: ECONNRESET after reset(), then it reconnects.
  redis.on('error', (error: NodeJS.ErrnoException) =>
    events.errors.push(error.code ?? error.message),
  )
  await redis.connect()
  return { redis, events }
}

/** Once only: disconnect() on a closed client leaves a 2 s timer behind (ioredis 5). */
function disconnect(redis: Redis): void {
  if (redis.status !== 'end') redis.disconnect()
}

/** Names of the clients connected to the test's redis-server, seen from outside the proxy. */
async function clientNames(): Promise<string[]> {
  const admin = new Redis(server.url)
  try {
    const list = (await admin.client('LIST')) as string
    return [...list.matchAll(/ name=(\S*)/g)].map((match) => match[1] ?? '')
  } finally {
    admin.disconnect()
  }
}

/**
 * The process's active handles and timers, once the same for 100 ms: sockets and timers of
 * earlier tests take a moment to go after they are closed.
 */
async function settledResources(): Promise<string[]> {
  const read = () => process.getActiveResourcesInfo().sort()
  let last = read()
  for (let same = 0, tries = 0; same < 5 && tries < 250; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const now = read()
    same = now.join() === last.join() ? same + 1 : 0
    last = now
  }
  return last
}

describe('fault proxy', () => {
  it('forwards both ways, and counts its client connections', async () => {
    const faults = await proxy()
    const { redis } = await client(faults.url)
    expect(faults.url).toBe(`redis://127.0.0.1:${faults.port}`)
    expect(await redis.ping()).toBe('PONG')
    expect(faults.connections).toBe(1)
    redis.disconnect()
    await expect
      .poll(() => faults.connections === 0, { ...POLL, message: 'the connection is gone' })
      .toBe(true)
  })

  it('latency(ms) delays every chunk both ways, so a round trip gains 2 × ms', async () => {
    const faults = await proxy()
    const { redis } = await client(faults.url)
    const latencyMs = 100
    faults.latency(latencyMs)
    const started = performance.now()
    const replies = await Promise.all([redis.ping('a'), redis.ping('b'), redis.ping('c')])
    // A lower bound only: a busy machine makes timers late, never early.
    expect(performance.now() - started).toBeGreaterThanOrEqual(0.8 * 2 * latencyMs)
    expect(replies).toEqual(['a', 'b', 'c'])

    faults.latency(0)
    expect(await redis.ping()).toBe('PONG')
  })

  it('blackhole() makes commands time out with the socket open; heal() delivers what was held', async () => {
    const faults = await proxy()
    const { redis, events } = await client(faults.url, { commandTimeout: 200 })
    const key = `fault-proxy:${randomUUID()}`
    faults.blackhole()

    await expect(redis.set(key, 'held')).rejects.toThrow('Command timed out')
    expect(events.closes).toBe(0)
    expect(redis.status).toBe('ready')
    expect(faults.connections).toBe(1)

    // A connection made meanwhile is accepted, but reaches Redis only on heal().
    const late = new Redis(faults.url, { lazyConnect: true, connectionName: randomUUID() })
    onTestFinished(() => disconnect(late))
    late.connect().catch(() => {}) // connects, then its ready check waits on the blackhole
    await expect
      .poll(() => faults.connections === 2, { ...POLL, message: 'the late connection is accepted' })
      .toBe(true)
    expect(await clientNames()).not.toContain(late.options.connectionName)

    faults.heal()
    // The held SET reaches Redis before the GET: replies stay on their own commands.
    expect(await redis.get(key)).toBe('held')
    await expect
      .poll(() => late.status === 'ready', { ...POLL, message: 'the late connection is ready' })
      .toBe(true)
    expect(await late.ping()).toBe('PONG')
    expect(events.closes).toBe(0)
    await redis.del(key)
  })

  it('reset() cuts every connection at once; ioredis sees the close and reconnects', async () => {
    const faults = await proxy()
    const a = await client(faults.url)
    const b = await client(faults.url)
    expect(faults.connections).toBe(2)

    faults.reset()
    await expect
      .poll(() => a.events.closes === 1 && b.events.closes === 1, {
        ...POLL,
        message: 'both clients see a close',
      })
      .toBe(true)
    expect([a.events.errors, b.events.errors]).toEqual([['ECONNRESET'], ['ECONNRESET']]) // not a FIN
    await expect
      .poll(() => a.redis.status === 'ready' && b.redis.status === 'ready', {
        ...POLL,
        message: 'they reconnect',
      })
      .toBe(true)
    expect(await a.redis.ping()).toBe('PONG')
    expect(await b.redis.ping()).toBe('PONG')
    expect(faults.connections).toBe(2)
  })

  it('halfOpen() closes the Redis side and swallows the client side, with no close for the client', async () => {
    const faults = await proxy()
    const { redis, events } = await client(faults.url, { commandTimeout: 200 })
    expect(await clientNames()).toContain(redis.options.connectionName)

    faults.halfOpen()
    await expect
      .poll(async () => !(await clientNames()).includes(redis.options.connectionName ?? ''), {
        ...POLL,
        message: 'Redis sees its side closed',
      })
      .toBe(true)
    await expect(redis.ping()).rejects.toThrow('Command timed out')
    expect(events.closes).toBe(0)
    expect(redis.status).toBe('ready')
    expect(faults.connections).toBe(1)

    // A vanished peer never comes back for that connection, healed or not.
    faults.heal()
    await expect(redis.ping()).rejects.toThrow('Command timed out')
    expect(events.closes).toBe(0)
  })

  it('close() leaves no socket or timer behind, even with delayed bytes in flight', async () => {
    const before = await settledResources()
    const faults = await startFaultProxy({ targetPort: server.port })
    faults.latency(10_000)
    const socket = connect(faults.port, '127.0.0.1')
    socket.on('error', () => {})
    await once(socket, 'connect')
    socket.write('PING\r\n') // sits in a lane timer for 10 s
    const timers = (resources: string[]) => resources.filter((name) => name === 'Timeout').length
    await expect
      .poll(() => timers(process.getActiveResourcesInfo()) > timers(before), {
        ...POLL,
        message: 'the proxy holds the PING in a timer',
      })
      .toBe(true)
    expect(faults.connections).toBe(1)

    const closed = new Promise((resolve) => socket.once('close', resolve)) // FIN or RST alike
    await faults.close()
    await closed
    expect(faults.connections).toBe(0)
    expect(await settledResources()).toEqual(before)
  })
})
