import type { Redis } from 'ioredis'
import { type BusMessage, decodeBusMessage, encodeBusMessage } from './bus-message.js'
import {
  type InvalidationBusOptions,
  type ResolvedBusOptions,
  resolveBusOptions,
} from './bus-options.js'
import { createSubscriber } from './subscriber-connection.js'

export type BusMessageHandler = (message: BusMessage) => void

/**
 * Tells every other instance which L1 entries to drop, over Redis pub/sub. Messages carry keys
 * and versions, never values; each received one is validated, and an instance ignores its own.
 * Pub/sub is fire-and-forget: whatever is published while a subscriber is away is lost to it,
 * which is why `onResubscribe` exists.
 */
export class InvalidationBus {
  readonly instanceId: string
  readonly #options: ResolvedBusOptions
  // Registrations are objects, so the same function registered twice is removed once per call.
  readonly #messageHandlers = new Set<{ handler: BusMessageHandler }>()
  readonly #resubscribeHandlers = new Set<{ handler: () => void }>()
  #subscriber: Redis | undefined
  #starting: Promise<void> | undefined
  #closed = false
  /** Subscribed on the current connection (reset when it closes). */
  #subscribed = false
  /** Messages may have been lost since the last subscription: the next one fires onResubscribe. */
  #missedMessages = false
  /** Ends start()'s wait: once subscribed, on timeout or on close. */
  #endStartWait: (() => void) | undefined

  constructor(options: InvalidationBusOptions) {
    this.#options = resolveBusOptions(options)
    this.instanceId = this.#options.instanceId
  }

  /** Registers a handler for valid messages from other instances; returns its unsubscribe. */
  onMessage(handler: BusMessageHandler): () => void {
    return register(this.#messageHandlers, handler)
  }

  /**
   * Registers a handler called each time the subscription is established after a gap in which
   * messages may have been lost, so L1 must be cleared: after a reconnect, and also on the first
   * subscription if `start()` gave up waiting for it (the app ran unsubscribed meanwhile). Not
   * when `start()` itself subscribes. Returns its unsubscribe.
   */
  onResubscribe(handler: () => void): () => void {
    return register(this.#resubscribeHandlers, handler)
  }

  /**
   * Opens a subscriber connection (duplicated from the publisher) and subscribes. Resolves once
   * subscribed, or after `startTimeoutMs` if Redis is not there; never throws, and keeps
   * reconnecting and re-subscribing in the background until `close()`.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start()
    return this.#starting
  }

  /** Publishes; never throws. Answers whether Redis took it (failures go to `observer.error`). */
  async publish(message: BusMessage): Promise<boolean> {
    const { publisher, channel, observer } = this.#options
    try {
      await publisher.publish(channel, encodeBusMessage(this.instanceId, message))
    } catch (error) {
      observer.error(error)
      return false
    }
    observer.sent()
    return true
  }

  /** Whether the subscriber is subscribed right now (for readiness and dashboards). */
  get connected(): boolean {
    return this.#subscribed && this.#subscriber?.status === 'ready'
  }

  /** Closes the subscriber connection it opened; the publisher stays the caller's. */
  async close(): Promise<void> {
    this.#closed = true
    this.#endStartWait?.()
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    this.#subscribed = false
    if (subscriber !== undefined) await disconnect(subscriber)
  }

  async #start(): Promise<void> {
    if (this.#closed) return
    const { publisher, startTimeoutMs, observer } = this.#options
    const subscriber = createSubscriber(publisher, observer.error)
    this.#subscriber = subscriber
    subscriber.on('ready', () => void this.#subscribe(subscriber))
    subscriber.on('close', () => this.#connectionClosed())
    subscriber.on('message', (channel: string, raw: string) => {
      // Nothing may throw out of this listener, into ioredis's reply parser.
      try {
        this.#receive(channel, raw)
      } catch (error) {
        observer.error(error)
      }
    })
    // A failed connect is reported as an 'error' and retried by the client itself.
    subscriber.connect().catch(() => {})
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
  async #subscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.#options.channel)
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
    for (const { handler } of [...this.#resubscribeHandlers]) this.#callSafely(handler)
  }

  #connectionClosed(): void {
    if (!this.#subscribed) return
    this.#subscribed = false
    this.#missedMessages = true
  }

  #receive(channel: string, raw: string): void {
    const { observer } = this.#options
    if (channel !== this.#options.channel) return
    const decoded = decodeBusMessage(raw)
    if (!decoded.ok) {
      observer.rejected(decoded.reason, decoded.detail)
      return
    }
    if (decoded.from === this.instanceId) return
    observer.received()
    for (const { handler } of [...this.#messageHandlers]) {
      this.#callSafely(() => handler(decoded.message))
    }
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
async function disconnect(subscriber: Redis): Promise<void> {
  const open = ['connecting', 'connect', 'ready'].includes(subscriber.status)
  const ended = open ? new Promise((resolve) => subscriber.once('end', resolve)) : undefined
  subscriber.disconnect()
  await ended
}
