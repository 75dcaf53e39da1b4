import type { RedisClient } from '../redis/client.js'
import {
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
  isControlMessage,
  type WireMessage,
} from './bus-message.js'
import {
  type BusLossReason,
  type InvalidationBusOptions,
  type ResolvedBusOptions,
  resolveBusOptions,
} from './bus-options.js'
import { type BusWire, busWire } from './bus-wire.js'
import { Outbox, type OutboxKind } from './outbox.js'
import { PeerTracker } from './peer-tracker.js'

export type BusMessageHandler = (message: BusMessage) => void
export type MessagesLostHandler = (reason: BusLossReason) => void

/**
 * Tells every other instance which L1 entries to drop, over Redis pub/sub. Messages carry keys
 * and versions, never values; each received one is validated, and an instance ignores its own.
 *
 * Pub/sub is fire-and-forget, so the bus makes up for what it loses. Invalidations wait in an
 * outbox and are retried in order (see outbox.ts). Every message is numbered per sender, and each
 * instance sends a heartbeat every `heartbeatMs` through the same outbox. A receiver runs its
 * `onMessagesLost` handlers (which drop L1) when a sender's numbers skip one, when a sender goes
 * silent for longer than `peerSilenceMs` (silence is all that a sender whose publishes fail can
 * show), when its own messages stop coming back to it (its subscription hears nothing), and when
 * it subscribes again after losing the connection.
 *
 * The bound. Say W's publishes fail from time f on (f is at the latest the first attempt of the
 * invalidation in question). Every peer P that had heard from W, and hears itself (its own
 * messages come back to it), then either receives that invalidation, which W retries in order for
 * `retryWindowMs`, or runs its handlers by f + peerSilenceMs + heartbeatMs, plus two trips through
 * Redis. Because: the last word P had from W got through before f, and nothing W sends later
 * overtakes the failed message; P judges silence whenever one of its own messages comes back,
 * which its heartbeats make happen every heartbeatMs; and should W get through again after
 * dropping the message, the number on what it sends next shows the gap. With the defaults: 4 s
 * after the failure, instead of the L1 entry's whole TTL. With `heartbeatMs: 0`, P learns only
 * when W next gets a message through, if ever. A P whose subscription hears nothing while it looks
 * connected finds out within peerSilenceMs + 2 × heartbeatMs, runs its handlers and reconnects.
 *
 * Not covered: P reports a peer's silence once, until it hears from it again, so what P loads into
 * L1 meanwhile relies on W's next number (W's cache invalidates Redis before publishing, on the
 * same connection, so it cannot go on invalidating while it cannot publish). A P that cannot hear
 * itself (Redis unreachable for it) judges nobody: when its subscription drops, it runs its
 * handlers on subscribing again, as before. A P too busy to run its timers serves nothing either.
 */
export class InvalidationBus {
  readonly instanceId: string
  readonly #options: ResolvedBusOptions
  readonly #wire: BusWire
  readonly #outbox: Outbox
  readonly #peers: PeerTracker
  // Registrations are objects, so the same function registered twice is removed once per call.
  readonly #messageHandlers = new Set<{ handler: BusMessageHandler }>()
  readonly #lostHandlers = new Set<{ handler: MessagesLostHandler }>()
  #subscriber: RedisClient | undefined
  #starting: Promise<void> | undefined
  #closing: Promise<void> | undefined
  #closed = false
  /** Subscribed on the current connection (reset when it closes). */
  #subscribed = false
  /** Messages may have been lost since the last subscription: the next one runs the handlers. */
  #missedMessages = false
  /** Ends start()'s wait: once subscribed, on timeout or on close. */
  #endStartWait: (() => void) | undefined
  /** The number of the last invalidation queued; heartbeats and byes repeat it. */
  #seq = 0
  #heartbeat: NodeJS.Timeout | undefined
  /** Something of ours got through: peers may be tracking this instance, and expect a bye. */
  #known = false
  #lastTickAt = 0
  /** Since when Redis has taken a message of ours that has not come back to our subscriber. */
  #unechoedSince: number | undefined

  constructor(options: InvalidationBusOptions) {
    this.#options = resolveBusOptions(options)
    this.instanceId = this.#options.instanceId
    const { publisher, channel, retryWindowMs, outboxLimit, observer } = this.#options
    this.#wire = busWire(publisher, channel, this.instanceId)
    this.#outbox = new Outbox({
      send: this.#wire.publish,
      publisher,
      retryWindowMs,
      limit: outboxLimit,
      delivered: (kind) => this.#delivered(kind),
      retried: observer.retried,
      dropped: observer.dropped,
      failing: observer.error,
    })
    this.#peers = new PeerTracker({ silenceMs: this.#options.peerSilenceMs })
  }

  /** Registers a handler for valid invalidations from other instances; returns its unsubscribe. */
  onMessage(handler: BusMessageHandler): () => void {
    return register(this.#messageHandlers, handler)
  }

  /**
   * Registers a handler called whenever messages from other instances may have been lost, so L1
   * must be cleared (see the class comment and `BusLossReason`). Not when `start()` itself
   * subscribes, nor for a peer that said bye. Returns its unsubscribe.
   */
  onMessagesLost(handler: MessagesLostHandler): () => void {
    return register(this.#lostHandlers, handler)
  }

  /**
   * Opens a subscriber connection (duplicated from the publisher), subscribes and starts the
   * heartbeats. Resolves once subscribed, or after `startTimeoutMs` if Redis is not there; never
   * throws, and keeps reconnecting and re-subscribing in the background until `close()`.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start()
    return this.#starting
  }

  /**
   * Queues an invalidation for every other instance; never throws, and waits for one attempt at
   * most. Resolves `true` once Redis took it; `false` if it was refused (`observer.error`), if its
   * first attempt failed or it waits behind one that did (it stays queued, and goes in order
   * within `retryWindowMs`; `flush()` waits for that), or after `close()`.
   */
  publish(message: BusMessage): Promise<boolean> {
    const { observer } = this.#options
    if (this.#closed) {
      observer.error(new Error('InvalidationBus is closed: the invalidation was not sent'))
      observer.dropped('closed')
      return Promise.resolve(false)
    }
    let encoded: string
    try {
      if (isControlMessage(message as WireMessage)) {
        throw new RangeError('Invalid bus message: heartbeat and bye are the bus’s own')
      }
      encoded = encodeBusMessage(this.instanceId, message, this.#seq + 1)
    } catch (error) {
      observer.error(error) // no number used: receivers see no gap for it
      return Promise.resolve(false)
    }
    this.#seq++
    return this.#outbox.enqueue('invalidation', encoded)
  }

  /** Resolves once everything published so far was sent or dropped: whether all were sent. */
  flush(): Promise<boolean> {
    return this.#outbox.flush()
  }

  /** Whether the subscriber is subscribed right now (for readiness and dashboards). */
  get connected(): boolean {
    return this.#subscribed && this.#subscriber?.status === 'ready'
  }

  /** Messages waiting to be published (for dashboards). */
  get queued(): number {
    return this.#outbox.size
  }

  /** Other instances this one hears from and keeps track of (for dashboards). */
  get peers(): number {
    return this.#peers.size
  }

  /**
   * Sends what is queued and a bye (so that peers forget this instance without dropping their L1)
   * for at most `closeTimeoutMs`, then closes the subscriber connection it opened. The publisher
   * stays the caller's. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#endStartWait?.()
    clearInterval(this.#heartbeat)
    if (this.#known || this.#seq > 0) this.#send('bye')
    await this.#outbox.close(this.#options.closeTimeoutMs)
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    this.#subscribed = false
    if (subscriber !== undefined) await disconnect(subscriber)
  }

  async #start(): Promise<void> {
    if (this.#closed) return
    const { startTimeoutMs, observer } = this.#options
    const subscriber = this.#wire.createSubscriber(observer.error)
    this.#subscriber = subscriber
    subscriber.on('ready', () => void this.#subscribe(subscriber))
    subscriber.on('close', () => this.#connectionClosed())
    subscriber.on(this.#wire.messageEvent, (channel: string, raw: string) => {
      // Nothing may throw out of this listener, into ioredis's reply parser.
      try {
        this.#receive(channel, raw)
      } catch (error) {
        observer.error(error)
      }
    })
    // A failed connect is reported as an 'error' and retried by the client itself.
    subscriber.connect().catch(() => {})
    this.#startHeartbeats()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // The app goes on unsubscribed: whatever it caches meanwhile may miss an invalidation.
        this.#missedMessages = true
        this.#endStartWait?.()
      }, startTimeoutMs)
      this.#endStartWait = () => {
        clearTimeout(timer)
        this.#endStartWait = undefined
        resolve()
      }
    })
  }

  /** Sent on every 'ready' (never queued), so a SUBSCRIBE lost to a flapping connection is sent again. */
  async #subscribe(subscriber: RedisClient): Promise<void> {
    try {
      await this.#wire.subscribe(subscriber)
    } catch (error) {
      // Failing because close() closed the connection is no news.
      if (subscriber === this.#subscriber) this.#options.observer.error(error)
      return
    }
    if (subscriber !== this.#subscriber) return // closed meanwhile
    this.#subscribed = true
    this.#endStartWait?.()
    if (!this.#missedMessages) return
    this.#missedMessages = false
    if (this.#options.lossOnResubscribe) this.#messagesLost('resubscribed')
  }

  #connectionClosed(): void {
    // Coming back runs the handlers anyway: no peer's numbering or silence means anything till then.
    this.#peers.clear()
    this.#unechoedSince = undefined
    if (!this.#subscribed) return
    this.#subscribed = false
    this.#missedMessages = true
  }

  #startHeartbeats(): void {
    const { heartbeatMs } = this.#options
    if (heartbeatMs === 0) return
    this.#lastTickAt = performance.now()
    this.#heartbeat = setInterval(() => this.#tick(), heartbeatMs)
    this.#heartbeat.unref()
    this.#heartbeatIfIdle() // peers know of this instance from now on
  }

  #tick(): void {
    const now = performance.now()
    // This late, the process was busy: what it missed may still be unread in its socket.
    const wasBusy = now - this.#lastTickAt > 1.5 * this.#options.heartbeatMs
    this.#lastTickAt = now
    this.#heartbeatIfIdle()
    if (!wasBusy) this.#checkHearing(now)
  }

  #heartbeatIfIdle(): void {
    // Anything queued says as much once it gets through, and a publisher that is not ready would
    // only fail it (or, lazily connecting, be opened by it).
    if (this.#outbox.size > 0 || this.#options.publisher.status !== 'ready') return
    this.#send('heartbeat')
  }

  /** Deaf: Redis took a message of ours over `peerSilenceMs` ago, and it never came back. */
  #checkHearing(now: number): void {
    const { peerSilenceMs, observer } = this.#options
    if (this.#unechoedSince === undefined || now - this.#unechoedSince <= peerSilenceMs) return
    this.#peers.clear()
    this.#unechoedSince = undefined
    observer.error(
      new Error(
        `InvalidationBus: own messages not heard back for ${peerSilenceMs} ms; reconnecting`,
      ),
    )
    this.#messagesLost('deaf')
    // The connection looks fine yet hears nothing (a middlebox forgot it): start it afresh. It
    // closes at once (disconnectTimeout 0), and subscribing again runs the handlers once more.
    this.#subscriber?.disconnect(true)
  }

  #send(kind: Exclude<OutboxKind, 'invalidation'>): void {
    void this.#outbox.enqueue(kind, encodeBusMessage(this.instanceId, { op: kind }, this.#seq))
  }

  #delivered(kind: OutboxKind): void {
    this.#known = true
    if (kind === 'invalidation') this.#options.observer.sent()
    if (this.#subscribed) this.#unechoedSince ??= performance.now()
  }

  #receive(channel: string, raw: string): void {
    const { observer } = this.#options
    if (!this.#wire.channels.has(channel)) return
    const decoded = decodeBusMessage(raw)
    if (!decoded.ok) {
      observer.rejected(decoded.reason, decoded.detail)
      return
    }
    const { from, seq, message } = decoded
    const now = performance.now()
    if (from === this.instanceId) {
      this.#heardItself(now)
      return
    }
    if (isControlMessage(message)) {
      const missing = seq !== undefined && this.#peers.heard(from, seq, 'status', now)
      if (message.op === 'bye') this.#peers.forget(from)
      if (missing) this.#messagesLost('sequence')
      return
    }
    observer.received()
    if (seq !== undefined && this.#peers.heard(from, seq, 'invalidation', now)) {
      this.#messagesLost('sequence')
    }
    for (const { handler } of [...this.#messageHandlers]) {
      this.#callSafely(() => handler(message))
    }
  }

  /**
   * Our own message came back: everything Redis took before it has reached us, so this is the
   * moment to judge who has been silent.
   */
  #heardItself(now: number): void {
    this.#unechoedSince = undefined
    if (this.#options.heartbeatMs === 0) return
    if (this.#peers.silentAsOf(now) > 0) this.#messagesLost('silence')
  }

  #messagesLost(reason: BusLossReason): void {
    this.#options.observer.messagesLost(reason)
    for (const { handler } of [...this.#lostHandlers]) this.#callSafely(() => handler(reason))
  }

  /** Runs a handler; what it throws (or, if async, rejects with) goes to `observer.error`. */
  #callSafely(handler: () => unknown): void {
    const { observer } = this.#options
    try {
      const result = handler()
      if (result instanceof Promise) result.catch(observer.error)
    } catch (error) {
      observer.error(error)
    }
  }
}

function register<H>(registrations: Set<{ handler: H }>, handler: H): () => void {
  const registration = { handler }
  registrations.add(registration)
  return () => {
    registrations.delete(registration)
  }
}

/**
 * Closes the socket (QUIT is deprecated since Redis 7.2; the server drops the subscription with
 * the connection) and waits for it to be gone. While reconnecting there is no socket, and
 * ioredis never reaches 'end' from there: nothing to wait for.
 */
async function disconnect(subscriber: RedisClient): Promise<void> {
  const open = ['connecting', 'connect', 'ready'].includes(subscriber.status)
  const ended = open ? new Promise((resolve) => subscriber.once('end', resolve)) : undefined
  subscriber.disconnect()
  await ended
}
