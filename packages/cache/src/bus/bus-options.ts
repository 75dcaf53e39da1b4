import { randomUUID } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { type BusRejectReason, isValidInstanceId } from './bus-message.js'

/**
 * Why the lost-messages handlers ran: a closed set, fit for a metrics label.
 * - `sequence`: a peer's message numbers skipped one (it dropped a message, or this one missed it);
 * - `silence`: a peer went quiet for longer than `peerSilenceMs` (its publishes may be failing);
 * - `deaf`: this instance's own messages stopped coming back: its subscription hears nothing;
 * - `resubscribed`: the subscription is back after a gap in which messages may have been lost.
 */
export type BusLossReason = 'sequence' | 'silence' | 'deaf' | 'resubscribed'

/** Why an invalidation left the outbox unsent: a closed set, fit for a metrics label. */
export type BusDropReason = 'expired' | 'overflow' | 'closed'

/** Hooks the application wires to its metrics and logs. Heartbeats and byes are not counted. */
export interface BusObserver {
  /** Redis took a published invalidation. */
  sent?(): void
  /** A valid invalidation from another instance arrived (before the handlers run). */
  received?(): void
  /** A received message was dropped. `reason` is a closed set, fit for a metrics label; `detail` is for logs. */
  rejected?(reason: BusRejectReason, detail: string): void
  /** A publish attempt failed; the invalidations it carried stay queued and are tried again. */
  retried?(): void
  /** An invalidation was given up on; peers learn of it (see `BusLossReason`). */
  dropped?(reason: BusDropReason): void
  /** The lost-messages handlers are being called: this instance drops its L1. */
  messagesLost?(reason: BusLossReason): void
  /**
   * The first failed publish after a success (not each retry), the subscriber connection failing
   * (each failed reconnect too), the subscription found deaf, or a handler throwing.
   */
  error?(error: unknown): void
}

export interface InvalidationBusOptions {
  /**
   * The app's command client (see `createRedisClient`), used to PUBLISH and duplicated for the
   * subscriber. Owned by the caller. Best with a command timeout and no offline queue, as that
   * client has: an attempt then fails as fast as Redis does.
   */
  publisher: RedisClient
  /** Channel name, e.g. `${keyPrefix}cache:bus`. */
  channel: string
  /**
   * Identifies this instance (1 to 128 characters); its own messages are ignored on receipt.
   * Must be new each run: peers track message numbers per id. @default a random UUID
   */
  instanceId?: string
  /** How long `start()` waits for the first subscription before it resolves anyway. @default 1000 */
  startTimeoutMs?: number
  /**
   * How long an invalidation Redis did not take is tried again (in order, backing off from 50 ms
   * to 1 s) before it is dropped; 0 means one attempt. @default 5000
   */
  retryWindowMs?: number
  /** Invalidations waiting to be sent, at most; beyond, the oldest is dropped. @default 10000 */
  outboxLimit?: number
  /**
   * Every instance publishes a heartbeat this often (when it has nothing else to send), so that
   * its peers can tell silence from calm. 0 turns heartbeats and silence detection off: peers then
   * learn of a lost invalidation only from the next message that gets through, if one ever does.
   * Use the same value on every instance. @default 1000
   */
  heartbeatMs?: number
  /**
   * A peer not heard from for longer than this is presumed to have lost messages: the
   * lost-messages handlers run. More than `heartbeatMs`, with room for a late timer.
   * @default 3 × heartbeatMs
   */
  peerSilenceMs?: number
  /** How long `close()` waits for the queued messages (and its bye) to be sent. @default 1000 */
  closeTimeoutMs?: number
  /**
   * A subscription back after a drop runs the lost-messages handlers: messages sent meanwhile
   * were lost. Switching it off is only for showing what it guards against. @default true
   */
  lossOnResubscribe?: boolean
  observer?: BusObserver
}

export interface ResolvedBusOptions {
  publisher: RedisClient
  channel: string
  instanceId: string
  startTimeoutMs: number
  retryWindowMs: number
  outboxLimit: number
  heartbeatMs: number
  peerSilenceMs: number
  closeTimeoutMs: number
  lossOnResubscribe: boolean
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
  const heartbeatMs = duration('heartbeatMs', raw.heartbeatMs ?? 1000)
  const peerSilenceMs = duration('peerSilenceMs', raw.peerSilenceMs ?? 3 * heartbeatMs)
  if (heartbeatMs > 0 && peerSilenceMs <= heartbeatMs) {
    throw new RangeError(
      `InvalidationBus option peerSilenceMs must be more than heartbeatMs (${heartbeatMs}), got ${peerSilenceMs}`,
    )
  }
  const outboxLimit = raw.outboxLimit ?? 10_000
  if (!(Number.isSafeInteger(outboxLimit) && outboxLimit >= 1)) {
    throw new RangeError(
      `InvalidationBus option outboxLimit must be an integer >= 1, got ${outboxLimit}`,
    )
  }
  return {
    publisher: raw.publisher,
    channel: raw.channel,
    instanceId,
    startTimeoutMs: duration('startTimeoutMs', raw.startTimeoutMs ?? 1000),
    retryWindowMs: duration('retryWindowMs', raw.retryWindowMs ?? 5000),
    outboxLimit,
    heartbeatMs,
    peerSilenceMs,
    closeTimeoutMs: duration('closeTimeoutMs', raw.closeTimeoutMs ?? 1000),
    lossOnResubscribe: raw.lossOnResubscribe ?? true,
    observer: guardObserver(raw.observer ?? {}),
  }
}

function duration(name: string, value: number): number {
  if (Number.isFinite(value) && value >= 0) return value
  throw new RangeError(`InvalidationBus option ${name} must be a number >= 0, got ${value}`)
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
    retried: () => safely(() => observer.retried?.()),
    dropped: (reason) => safely(() => observer.dropped?.(reason)),
    messagesLost: (reason) => safely(() => observer.messagesLost?.(reason)),
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
