import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { type BusRejectReason, isValidInstanceId } from './bus-message.js'

/** Hooks the application wires to its metrics and logs. */
export interface BusObserver {
  /** Redis took a published message. */
  sent?(): void
  /** A valid message from another instance arrived (before the handlers run). */
  received?(): void
  /** A received message was dropped. `reason` is a closed set, fit for a metrics label; `detail` is for logs. */
  rejected?(reason: BusRejectReason, detail: string): void
  /** A publish failed, the subscriber connection failed (each failed reconnect too), or a handler threw. */
  error?(error: unknown): void
}

export interface InvalidationBusOptions {
  /**
   * The app's command client (see `createRedisClient`), used to PUBLISH and duplicated for the
   * subscriber. Owned by the caller. `publish()` answers as fast as it fails: with that client,
   * at once while Redis is down and after its command timeout when Redis hangs.
   */
  publisher: Redis
  /** Channel name, e.g. `${keyPrefix}cache:bus`. */
  channel: string
  /** Identifies this instance (1 to 128 characters); its own messages are ignored on receipt. @default a random UUID */
  instanceId?: string
  /** How long `start()` waits for the first subscription before it resolves anyway. @default 1000 */
  startTimeoutMs?: number
  observer?: BusObserver
}

export interface ResolvedBusOptions {
  publisher: Redis
  channel: string
  instanceId: string
  startTimeoutMs: number
  observer: Required<BusObserver>
}

export function resolveBusOptions(raw: InvalidationBusOptions): ResolvedBusOptions {
  if (typeof raw.channel !== 'string' || raw.channel.length === 0) {
    throw new RangeError('InvalidationBus option channel must be a non-empty string')
  }
  const instanceId = raw.instanceId ?? randomUUID()
  if (!isValidInstanceId(instanceId)) {
    throw new RangeError(
      `InvalidationBus option instanceId must be a string of 1 to 128 characters, got ${JSON.stringify(instanceId)}`,
    )
  }
  const startTimeoutMs = raw.startTimeoutMs ?? 1000
  if (!(Number.isFinite(startTimeoutMs) && startTimeoutMs >= 0)) {
    throw new RangeError(
      `InvalidationBus option startTimeoutMs must be a number >= 0, got ${startTimeoutMs}`,
    )
  }
  return {
    publisher: raw.publisher,
    channel: raw.channel,
    instanceId,
    startTimeoutMs,
    observer: guardObserver(raw.observer ?? {}),
  }
}

/**
 * Every hook present, each made safe to call: the observer is the app's logging and metrics, and
 * a bug there must neither break the bus nor escape a Redis event listener and crash the process.
 */
function guardObserver(observer: BusObserver): Required<BusObserver> {
  return {
    sent: () => safely(() => observer.sent?.()),
    received: () => safely(() => observer.received?.()),
    rejected: (reason, detail) => safely(() => observer.rejected?.(reason, detail)),
    error: (error) => safely(() => observer.error?.(error)),
  }
}

function safely(hook: () => void): void {
  try {
    hook()
  } catch {
    // Nowhere left to report it: the error hook may be the one throwing.
  }
}
