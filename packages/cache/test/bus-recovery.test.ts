import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { type FaultProxy, startFaultProxy } from '../../../test/support/fault-proxy.js'
import { REDIS_URL, startRedisServer, uniquePrefix } from '../../../test/support/redis.js'
import type { BusMessage } from '../src/bus/bus-message.js'
import type {
  BusDropReason,
  BusLossReason,
  InvalidationBusOptions,
} from '../src/bus/bus-options.js'
import { InvalidationBus } from '../src/bus/invalidation-bus.js'
import { connectClient, POLL } from './helpers.js'

// How the bus recovers what pub/sub loses: a sender whose publishes fail retries them in order,
// and its peers learn within a bound when something may have been lost (see invalidation-bus.ts).
// Each fault is applied to one instance only, through our TCP proxy, or to a redis-server of the
// test's own.

const HEARTBEAT_MS = 100
const SILENCE_MS = 3 * HEARTBEAT_MS // the default
/** The bound stated in invalidation-bus.ts, less the trips through Redis. */
const BOUND_MS = SILENCE_MS + HEARTBEAT_MS
const PUBLISHER_TIMEOUT_MS = 500 // connectClient's command timeout

const sharedRedisPort = Number(new URL(REDIS_URL).port || 6379)
const channelName = () => `${uniquePrefix()}cache:bus`
const deleteKey = (key: string): BusMessage => ({ op: 'delete', cache: 'product', keys: [key] })

interface Instance {
  bus: InvalidationBus
  received: BusMessage[]
  /** Each time its lost-messages handlers ran, and when (performance.now()). */
  lost: Array<{ reason: BusLossReason; at: number }>
  observer: ReturnType<typeof spyObserver>
}

function spyObserver() {
  return {
    sent: vi.fn(),
    retried: vi.fn(),
    dropped: vi.fn<(reason: BusDropReason) => void>(),
    messagesLost: vi.fn<(reason: BusLossReason) => void>(),
    error: vi.fn<(error: unknown) => void>(),
    rejected: vi.fn(),
  }
}

/** A started bus with short timings, recording what it receives and when it drops its L1. */
async function instance(
  options: Omit<InvalidationBusOptions, 'observer'> & { instanceId: string },
): Promise<Instance> {
  const observer = spyObserver()
  const bus = new InvalidationBus({
    heartbeatMs: HEARTBEAT_MS,
    closeTimeoutMs: 300,
    ...options,
    observer,
  })
  onTestFinished(() => bus.close())
  const received: BusMessage[] = []
  const lost: Instance['lost'] = []
  bus.onMessage((message) => received.push(message))
  bus.onMessagesLost((reason) => lost.push({ reason, at: performance.now() }))
  await bus.start()
  return { bus, received, lost, observer }
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ targetPort: port })
  onTestFinished(() => proxy.close())
  return proxy
}

/**
 * Redis becomes unreachable for the instance behind the proxy alone: what it sends is lost, and
 * its publishes time out. (A blackhole would deliver them late instead, after they were given up
 * on: as a real partition may. Receivers then get them after all, or twice: harmless.)
 */
function cutOff(proxy: FaultProxy): void {
  proxy.halfOpen()
}

/** Back again: new connections go through, and the dead ones are reset so the client notices. */
function reconnect(proxy: FaultProxy): void {
  proxy.heal()
  proxy.reset()
}

describe('InvalidationBus: recovering what pub/sub loses', () => {
  it('queues publishes while Redis is down and, once it is back, delivers them in order, once each', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.stop())
    const proxy = await proxyTo(server.port) // so that the sender comes back only when we say
    const channel = channelName()
    const p = await instance({
      publisher: await connectClient(server.url),
      channel,
      instanceId: 'p',
    })
    const wPublisher = await connectClient(proxy.url)
    const w = await instance({
      publisher: wPublisher,
      channel,
      instanceId: 'w',
      retryWindowMs: 10_000,
    })
    await w.bus.publish(deleteKey('before'))
    await expect
      .poll(() => p.received.length === 1, { ...POLL, message: 'P hears from W' })
      .toBe(true)

    await server.kill()
    await expect
      .poll(() => !p.bus.connected && wPublisher.status !== 'ready', {
        ...POLL,
        message: 'both lose Redis',
      })
      .toBe(true)
    const started = performance.now()
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => w.bus.publish(deleteKey(`k${i}`))))
    expect(answers).toEqual([false, false, false, false, false]) // not sent yet, and no waiting
    // Waiting would take the retry window (10 s): loosely below it, the figure reported.
    const answeredMs = performance.now() - started
    console.info(`five publishes with Redis down answered in ${answeredMs.toFixed(1)} ms`)
    expect(answeredMs).toBeLessThan(2000)
    expect(w.bus.queued).toBe(5)

    cutOff(proxy) // so that W gets through only once P is listening again
    await server.restart()
    await expect.poll(() => p.bus.connected, { ...POLL, message: 'P subscribes again' }).toBe(true)
    reconnect(proxy)
    expect(await w.bus.flush()).toBe(true)

    // One more behind them: once it is in, a copy of any of them would have shown.
    await w.bus.publish(deleteKey('after'))
    await expect
      .poll(() => p.received.length === 7, { ...POLL, message: 'the queued messages arrive' })
      .toBe(true)
    expect(p.received).toEqual([
      deleteKey('before'),
      ...[1, 2, 3, 4, 5].map((i) => deleteKey(`k${i}`)),
      deleteKey('after'),
    ])
    expect(w.observer.retried).toHaveBeenCalled()
    expect(w.observer.dropped).not.toHaveBeenCalled()
    expect(w.observer.sent).toHaveBeenCalledTimes(7)
    expect(p.lost.map(({ reason }) => reason)).toEqual(['resubscribed']) // no gap: none was lost
  })

  it('drops a message it cannot deliver within retryWindowMs, and the peer learns from the gap in numbers', async () => {
    const proxy = await proxyTo(sharedRedisPort)
    const channel = channelName()
    // Silence is judged too late to matter here: only the numbers can tell.
    const p = await instance({
      publisher: await connectClient(),
      channel,
      instanceId: 'p',
      peerSilenceMs: 60_000,
    })
    const w = await instance({
      publisher: await connectClient(proxy.url),
      channel,
      instanceId: 'w',
      retryWindowMs: 300,
    })
    await w.bus.publish(deleteKey('before'))
    await expect
      .poll(() => p.received.length === 1, { ...POLL, message: 'P hears from W' })
      .toBe(true)

    cutOff(proxy)
    expect(await w.bus.publish(deleteKey('lost'))).toBe(false)
    await expect
      .poll(() => w.observer.dropped.mock.calls.length > 0, {
        ...POLL,
        message: 'W gives up on it',
      })
      .toBe(true)
    expect(w.observer.dropped.mock.calls).toEqual([['expired']])
    expect(p.lost).toEqual([])

    reconnect(proxy)
    // W's next heartbeat carries the number of the message P never got.
    await expect
      .poll(() => p.lost.length > 0, { ...POLL, message: 'P learns it missed a message' })
      .toBe(true)
    expect(p.lost.map(({ reason }) => reason)).toEqual(['sequence'])
    await w.bus.publish(deleteKey('after'))
    await expect
      .poll(() => p.received.length === 2, { ...POLL, message: 'W gets through again' })
      .toBe(true)
    expect(p.received).toEqual([deleteKey('before'), deleteKey('after')])
  })

  it('overflowing the outbox drops the oldest message, and the peer learns from the gap', async () => {
    const proxy = await proxyTo(sharedRedisPort)
    const channel = channelName()
    const noHeartbeats = { heartbeatMs: 0 } // only the numbers, and no heartbeat in the outbox
    const p = await instance({
      publisher: await connectClient(),
      channel,
      instanceId: 'p',
      ...noHeartbeats,
    })
    const w = await instance({
      publisher: await connectClient(proxy.url),
      channel,
      instanceId: 'w',
      outboxLimit: 2,
      retryWindowMs: 10_000,
      ...noHeartbeats,
    })
    await w.bus.publish(deleteKey('before'))
    await expect
      .poll(() => p.received.length === 1, { ...POLL, message: 'P hears from W' })
      .toBe(true)

    cutOff(proxy)
    for (const key of ['k1', 'k2', 'k3', 'k4']) await w.bus.publish(deleteKey(key))
    expect(w.observer.dropped.mock.calls).toEqual([['overflow'], ['overflow']])
    reconnect(proxy)
    expect(await w.bus.flush()).toBe(true) // what is left goes through

    await expect
      .poll(() => p.received.length === 3, { ...POLL, message: 'the two newest arrive' })
      .toBe(true)
    expect(p.received).toEqual([deleteKey('before'), deleteKey('k3'), deleteKey('k4')])
    expect(p.lost.map(({ reason }) => reason)).toEqual(['sequence'])
  })

  it.each([
    ['learns within peerSilenceMs + heartbeatMs that it may have missed something', HEARTBEAT_MS],
    ['learns nothing in 3 times that with heartbeats off', 0],
  ])('when a sender’s connection hangs, its peer %s', async (_, heartbeatMs) => {
    const proxy = await proxyTo(sharedRedisPort)
    const channel = channelName()
    const timings = { heartbeatMs, retryWindowMs: 200 }
    const p = await instance({
      publisher: await connectClient(),
      channel,
      instanceId: 'p',
      ...timings,
    })
    const w = await instance({
      publisher: await connectClient(proxy.url),
      channel,
      instanceId: 'w',
      ...timings,
    })
    await w.bus.publish(deleteKey('before'))
    await expect
      .poll(() => p.received.length === 1 && p.bus.peers === 1, {
        ...POLL,
        message: 'P hears from W',
      })
      .toBe(true)

    proxy.blackhole() // W's publishes now time out unanswered, after PUBLISHER_TIMEOUT_MS
    const sentAt = performance.now()
    void w.bus.publish(deleteKey('lost'))

    if (heartbeatMs > 0) {
      await expect
        .poll(() => p.lost.length > 0, {
          ...POLL,
          timeout: 3 * BOUND_MS,
          message: 'P presumes W lost messages',
        })
        .toBe(true)
      const [first] = p.lost
      const afterMs = (first?.at ?? Number.NaN) - sentAt
      console.info(
        `peer silence detected ${afterMs.toFixed(0)} ms after the failed publish (bound ${BOUND_MS} ms + trips through Redis)`,
      )
      expect(first?.reason).toBe('silence')
      expect(afterMs).toBeLessThan(3 * BOUND_MS)
      // Once per silence, however long it lasts.
      await expect
        .poll(() => Date.now(), {
          ...POLL,
          timeout: Date.now() + BOUND_MS - Date.now() + 5000,
          message: 'one more bound has passed',
        })
        .toBeGreaterThan(Date.now() + BOUND_MS)
      expect(p.lost).toHaveLength(1)
    } else {
      await expect
        .poll(() => Date.now(), {
          ...POLL,
          timeout: Date.now() + 3 * BOUND_MS - Date.now() + 5000,
          message: 'three times the bound has passed',
        })
        .toBeGreaterThan(Date.now() + 3 * BOUND_MS)
      expect(p.lost).toEqual([])
      expect(p.received).toEqual([deleteKey('before')]) // still serving what 'lost' invalidated
      expect(performance.now() - sentAt).toBeGreaterThan(PUBLISHER_TIMEOUT_MS) // W gave up
      expect(w.observer.dropped).toHaveBeenCalledWith('expired')
    }

    // Only now does an unprotected P learn: the bytes held in the blackhole arrive, or W's next
    // message shows the gap.
    proxy.heal()
    await w.bus.publish(deleteKey('after'))
    await expect
      .poll(() => p.received.some((m) => m.op === 'delete' && m.keys[0] === 'after'), {
        ...POLL,
        message: 'W gets through',
      })
      .toBe(true)
    const learned = p.received.some((m) => m.op === 'delete' && m.keys[0] === 'lost')
    expect(learned || p.lost.length > 0).toBe(true)
  })

  it('a peer that says bye is forgotten without a drop of L1; one that cannot is presumed silent', async () => {
    const channel = channelName()
    const p = await instance({ publisher: await connectClient(), channel, instanceId: 'p' })
    const w1 = await instance({ publisher: await connectClient(), channel, instanceId: 'w1' })
    await w1.bus.publish(deleteKey('k1'))
    await expect.poll(() => p.bus.peers === 1, { ...POLL, message: 'P hears from W1' }).toBe(true)

    await w1.bus.close()
    await expect
      .poll(() => p.bus.peers === 0, { ...POLL, message: 'P forgets W1 on its bye' })
      .toBe(true)
    await expect
      .poll(() => Date.now(), {
        ...POLL,
        timeout: Date.now() + 3 * BOUND_MS - Date.now() + 5000,
        message: 'W1 would long have been found silent',
      })
      .toBeGreaterThan(Date.now() + 3 * BOUND_MS)
    expect(p.lost).toEqual([])

    // W2's connection goes for good, as if it had crashed: no bye can come from it.
    const w2Publisher = await connectClient()
    await instance({ publisher: w2Publisher, channel, instanceId: 'w2' })
    await expect.poll(() => p.bus.peers === 1, { ...POLL, message: 'P hears from W2' }).toBe(true)
    w2Publisher.disconnect()
    await expect
      .poll(() => p.lost.length > 0, {
        ...POLL,
        timeout: 3 * BOUND_MS,
        message: 'P presumes W2 lost messages',
      })
      .toBe(true)
    expect(p.lost.map(({ reason }) => reason)).toEqual(['silence'])
  })

  it('close() sends what is queued and its bye within closeTimeoutMs', async () => {
    const proxy = await proxyTo(sharedRedisPort)
    const channel = channelName()
    // P forgets W only on its bye: silence is judged too late to matter here.
    const p = await instance({
      publisher: await connectClient(),
      channel,
      instanceId: 'p',
      peerSilenceMs: 60_000,
    })
    const w = await instance({
      publisher: await connectClient(proxy.url),
      channel,
      instanceId: 'w',
      closeTimeoutMs: 3000,
    })
    await expect.poll(() => p.bus.peers === 1, { ...POLL, message: 'P hears from W' }).toBe(true)
    cutOff(proxy)
    void w.bus.publish(deleteKey('queued'))

    const closed = w.bus.close()
    reconnect(proxy) // Redis is back while close() waits
    await closed

    await expect
      .poll(() => p.bus.peers === 0, { ...POLL, message: 'P forgets W on its bye' })
      .toBe(true)
    expect(p.received).toEqual([deleteKey('queued')])
    expect(p.lost).toEqual([])
    expect(await w.bus.publish(deleteKey('late'))).toBe(false) // it would come after the bye
    expect(w.observer.dropped.mock.calls).toEqual([['closed']])
  })

  it('an instance whose subscription hears nothing while it looks connected finds out, and reconnects', async () => {
    const proxy = await proxyTo(sharedRedisPort)
    const channel = channelName()
    // R publishes straight to Redis; only its subscriber goes through the proxy.
    const rPublisher = await connectClient(REDIS_URL)
    const duplicate = rPublisher.duplicate.bind(rPublisher)
    rPublisher.duplicate = (override) => duplicate({ ...override, port: proxy.port })
    const r = await instance({ publisher: rPublisher, channel, instanceId: 'r' })
    // W judges R's silence with room to spare: a late timer must not pass for a fault here.
    const w = await instance({
      publisher: await connectClient(),
      channel,
      instanceId: 'w',
      peerSilenceMs: 1000,
    })
    await expect
      .poll(() => r.bus.peers === 1 && w.bus.peers === 1, {
        ...POLL,
        message: 'they hear each other',
      })
      .toBe(true)

    // A middlebox forgets the subscriber's connection: Redis drops it, R's end stays open.
    proxy.halfOpen()
    proxy.heal() // new connections get through; the forgotten one stays dead
    const cutAt = performance.now()
    await w.bus.publish(deleteKey('missed'))

    await expect
      .poll(() => r.lost.length > 0, {
        ...POLL,
        timeout: 3 * (BOUND_MS + HEARTBEAT_MS),
        message: 'R finds itself deaf',
      })
      .toBe(true)
    const [first] = r.lost
    const afterMs = (first?.at ?? Number.NaN) - cutAt
    console.info(`deaf subscription detected ${afterMs.toFixed(0)} ms after the cut`)
    expect(first?.reason).toBe('deaf')
    await expect
      .poll(() => r.bus.connected && r.lost.some(({ reason }) => reason === 'resubscribed'), {
        ...POLL,
        message: 'R subscribes again',
      })
      .toBe(true)
    await w.bus.publish(deleteKey('heard'))
    await expect
      .poll(() => r.received.length === 1, { ...POLL, message: 'R hears again' })
      .toBe(true)
    expect(r.received).toEqual([deleteKey('heard')])
    expect(w.lost).toEqual([]) // R's heartbeats kept going: W had nothing to fear
  })
})
