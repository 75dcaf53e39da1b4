/**
 * Which list pages are worth a cache entry. Every (cursor, limit) pair used to get one, so a
 * client asking for random cursors and limits filled Redis (2³¹ cursors × 100 limits) and, under
 * `noeviction`, starved the queue and write-behind. Now a page is cached only when
 *
 * 1. it is a first page (no cursor), whatever its limit: at most 100 of them, or
 * 2. its limit is one of a few (CACHED_LIMITS) and its cursor is one this instance handed out as
 *    `next_cursor` on a cached page with that limit (remembered in a bounded record);
 * 3. and it has items: a page past the end is answered, never stored.
 *
 * Any other page is loaded from the database and not stored. Requests cannot add cursors: a
 * cursor only becomes cacheable once a cached page points to it, so the cached pages are the
 * first pages and the walks from them, and their number depends on the catalog, never on the
 * traffic. First pages are cached at every limit: they are the pages most read, and 100 at most.
 *
 * Worst case, for N ≥ 1 products and the walked limits L: each walk has ⌈N/l⌉ pages (the
 * repository never points past the end, and an empty page is not stored), so at most
 *
 *   Σ_{l∈L} ⌈N/l⌉ + (100 − |L|)   pages per key version (the second term: first pages at the
 *                                  other limits), ≤ Σ_{l∈L} (⌈N/l⌉ + 1) + 96 with L below.
 *
 * With L = {10, 20, 50, 100} and N = 10,000: 1,800 + 96 = 1,896 entries, and each walk holds
 * every product once: about |L| = 4 copies of the catalog. Only deletes move page boundaries:
 * the cursors of the walk before a delete stay cacheable until they leave the record
 * (HANDED_OUT_CAPACITY) and their entries stay in Redis until their lifetime ends
 * (LIST_PAGE_LIFETIME). A catalog whose walks outgrow the record keeps its first pages cached
 * and serves the deepest ones from the database.
 */

/** The limits whose pages are cached past the first: the default (20) and the round ones. */
export const CACHED_LIMITS: readonly number[] = [10, 20, 50, 100]

/**
 * (limit, cursor) pairs remembered: the walks of 1,800 pages (10,000 products) fit, and the
 * record stays a few hundred kB however many requests come.
 */
export const HANDED_OUT_CAPACITY = 4096

/**
 * A page's lifetime, in seconds, capped by the configured one. Every write through the service
 * invalidates the pages anyway; this bounds how long an older walk's entries (after a delete or a
 * key version bump) and rows changed outside the service linger.
 */
export const LIST_PAGE_LIFETIME = { ttlSeconds: 60, graceSeconds: 240 } as const

/**
 * `bounded`: the policy above. `every-page`: every page, past the end included, as before the
 * policy; only to show what the bound prevents.
 */
export type ListPageCaching = 'bounded' | 'every-page'

export interface ListPagePolicyOptions {
  /** @default 'bounded' */
  caching?: ListPageCaching
  /** @default CACHED_LIMITS */
  limits?: readonly number[]
  /** How many (limit, cursor) pairs handed out are remembered. @default HANDED_OUT_CAPACITY */
  capacity?: number
}

/** The pages' cache lifetime: LIST_PAGE_LIFETIME, or the configured one where it is shorter. */
export function listPageLifetime(configured: { ttlSeconds: number; graceSeconds: number }) {
  return {
    ttlSeconds: Math.min(configured.ttlSeconds, LIST_PAGE_LIFETIME.ttlSeconds),
    graceSeconds: Math.min(configured.graceSeconds, LIST_PAGE_LIFETIME.graceSeconds),
  }
}

/** Decides which pages are cached; no I/O, one per catalog (the record is this instance's). */
export class ListPagePolicy {
  readonly #everyPage: boolean
  readonly #limits: ReadonlySet<number>
  readonly #capacity: number
  /** `limit:cursor` pairs, least recently used first (a Map keeps insertion order). */
  readonly #handedOut = new Map<string, true>()

  constructor({
    caching = 'bounded',
    limits = CACHED_LIMITS,
    capacity = HANDED_OUT_CAPACITY,
  }: ListPagePolicyOptions = {}) {
    this.#everyPage = caching === 'every-page'
    this.#limits = new Set(limits)
    this.#capacity = capacity
  }

  /** Whether the page after `afterId` (undefined: the first page) may come from the cache. */
  caches(afterId: number | undefined, limit: number): boolean {
    if (this.#everyPage || afterId === undefined) return true
    if (!this.#limits.has(limit)) return false
    const pair = pairOf(limit, afterId)
    if (!this.#handedOut.has(pair)) return false
    this.#touch(pair)
    return true
  }

  /** Whether a loaded page is stored: never one past the end. */
  stores(page: { items: readonly unknown[] }): boolean {
    return this.#everyPage || page.items.length > 0
  }

  /** Remembers the `next_cursor` a cached page handed out, so that the next page is cached too. */
  handedOut(limit: number, nextCursor: string | null): void {
    if (this.#everyPage || nextCursor === null || !this.#limits.has(limit)) return
    this.#touch(pairOf(limit, Number(nextCursor)))
    if (this.#handedOut.size > this.#capacity) {
      const oldest = this.#handedOut.keys().next().value
      if (oldest !== undefined) this.#handedOut.delete(oldest)
    }
  }

  /** How many pairs are remembered (for tests and curiosity). */
  get remembered(): number {
    return this.#handedOut.size
  }

  #touch(pair: string): void {
    this.#handedOut.delete(pair)
    this.#handedOut.set(pair, true)
  }
}

function pairOf(limit: number, afterId: number): string {
  return `${limit}:${afterId}`
}
