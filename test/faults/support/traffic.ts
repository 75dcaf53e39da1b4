import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { auth } from '../../support/app.js'
import { rowOf } from '../../worker/write-behind-support.js'

// Bounded traffic for the fault scenarios, and the bookkeeping that says, once things are quiet,
// whether every acknowledged write survived.

/** The fields the scenarios write, in turn: two strings and two integers. */
export const WRITTEN_FIELDS = ['name', 'description', 'price_cents', 'stock'] as const
export type WrittenField = (typeof WRITTEN_FIELDS)[number]
export type WrittenValues = Record<WrittenField, string | number> & { version: number }

/** The field a lane's `seq`-th write sets: each field in turn, `every` writes in a row. */
export function fieldOf(seq: number, every = 1): WrittenField {
  return WRITTEN_FIELDS[Math.floor(seq / every) % WRITTEN_FIELDS.length] as WrittenField
}

/**
 * A value no other write of the run uses, and no seeded row holds: so the final row tells which
 * write it came from.
 */
export function valueFor(field: WrittenField, id: number, seq: number): string | number {
  if (field === 'name' || field === 'description') return `#${id} ${field} write ${seq}`
  return 1_000_000_000 + id * 10_000 + seq
}

/** The written fields and the version, as a read or a row has them. */
export function writtenValues(product: WrittenValues): WrittenValues {
  const { name, description, price_cents, stock, version } = product
  return { name, description, price_cents, stock, version }
}

export function sameValues(a: WrittenValues, b: WrittenValues): boolean {
  return WRITTEN_FIELDS.every((field) => a[field] === b[field]) && Number(a.version) === b.version
}

/** The written fields of each product, straight from the database. */
export async function rowsOf(
  app: FastifyInstance,
  ids: readonly number[],
): Promise<Map<number, WrittenValues>> {
  const rows = new Map<number, WrittenValues>()
  for (const id of ids) rows.set(id, writtenValues(await rowOf(app, id)))
  return rows
}

/** A synchronous PATCH (no `Prefer`). */
export function patchNow(
  app: FastifyInstance,
  id: number,
  payload: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'PATCH', url: `/products/${id}`, headers: auth, payload })
}

/**
 * What is known of a write: acknowledged (2xx); refused, known to have changed nothing (a
 * synchronous write's 503, or a deferred one's found not staged); or unknown (a deferred write's
 * 503 as such: Redis may have staged it before the reply was lost, or run it once a stall ended).
 */
export type WriteOutcome = 'acknowledged' | 'refused' | 'unknown'

export interface LedgerVerdict {
  /** (product, field) pairs with at least one acknowledged write: what can be checked. */
  checked: number
  /** Of those, the last acknowledged value is not in the row, nor a later unknown one. */
  lost: number
  /** The row holds the value of a write whose outcome was unknown (allowed, counted). */
  unknownApplied: number
  /** The row holds the value of a write refused as having changed nothing. */
  refusedButWritten: number
  /** In words, one line each: lost and refused-but-written fields. */
  problems: string[]
}

/**
 * Every write of every field, in the order its lane sent them. The writes of one product come
 * from one lane, one after the other, so "the last acknowledged write" of a field is well
 * defined: the row must hold its value, or that of an unknown write sent after it.
 */
export class WriteLedger {
  readonly #writes = new Map<string, Array<{ value: string | number; outcome: WriteOutcome }>>()

  record(id: number, field: WrittenField, value: string | number, outcome: WriteOutcome): void {
    const key = `${id}:${field}`
    const list = this.#writes.get(key) ?? []
    list.push({ value, outcome })
    this.#writes.set(key, list)
  }

  get acknowledged(): number {
    let count = 0
    for (const list of this.#writes.values()) {
      count += list.filter((write) => write.outcome === 'acknowledged').length
    }
    return count
  }

  /** Judges the final rows against the writes; `before` are the rows before any write. */
  judge(
    before: ReadonlyMap<number, WrittenValues>,
    after: ReadonlyMap<number, WrittenValues>,
  ): LedgerVerdict {
    const verdict: LedgerVerdict = {
      checked: 0,
      lost: 0,
      unknownApplied: 0,
      refusedButWritten: 0,
      problems: [],
    }
    for (const [key, writes] of this.#writes) {
      const [idText, field] = key.split(':') as [string, WrittenField]
      const id = Number(idText)
      const final = after.get(id)?.[field]
      const lastAck = writes.findLastIndex((write) => write.outcome === 'acknowledged')
      const expected = lastAck >= 0 ? writes[lastAck]?.value : before.get(id)?.[field]
      const laterUnknown = writes
        .slice(lastAck + 1)
        .filter((write) => write.outcome === 'unknown')
        .map((write) => write.value)
      if (lastAck >= 0) verdict.checked++
      if (writes.some((write) => write.outcome === 'refused' && write.value === final)) {
        verdict.refusedButWritten++
        verdict.problems.push(`#${id} ${field} holds ${final}, from a write refused with 503`)
      } else if (final === expected) continue
      else if (final !== undefined && laterUnknown.includes(final)) verdict.unknownApplied++
      else {
        verdict.lost++
        verdict.problems.push(
          `#${id} ${field} holds ${final}; the last acknowledged write set ${expected}`,
        )
      }
    }
    return verdict
  }
}

/**
 * Runs `step` `count` times in a row with `gapMs` between the end of one and the start of the
 * next: a fixed amount of work, spread over time so that it overlaps the faults.
 */
export async function lane(
  count: number,
  gapMs: number,
  step: (seq: number) => Promise<void>,
): Promise<void> {
  for (let seq = 0; seq < count; seq++) {
    await step(seq)
    if (gapMs > 0) await sleep(gapMs)
  }
}

/** Runs `call` and answers its result with how long it took. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await call()
  return { value, ms: performance.now() - started }
}

export interface Percentiles {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** Nearest-rank percentiles, in whole milliseconds (tenths below 10 ms). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0)
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) }
}

export function round(ms: number): number {
  return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms)
}

/** Counts answers by status code, e.g. `{ 200: 981, 503: 3 }`. */
export class StatusTally {
  readonly counts: Record<number, number> = {}

  add(status: number): void {
    this.counts[status] = (this.counts[status] ?? 0) + 1
  }

  count(matches: (status: number) => boolean): number {
    return Object.entries(this.counts)
      .filter(([status]) => matches(Number(status)))
      .reduce((sum, [, n]) => sum + n, 0)
  }

  toJSON(): Record<number, number> {
    return this.counts
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index)
}
