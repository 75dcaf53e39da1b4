import { describe, expect, it } from 'vitest'
import {
  CACHED_LIMITS,
  LIST_PAGE_LIFETIME,
  ListPagePolicy,
  listPageLifetime,
} from '../../src/catalog/list-page-policy.js'

const page = (items: number) => ({ items: Array.from({ length: items }, (_, i) => i) })

describe('ListPagePolicy (bounded)', () => {
  it('caches the first page at any limit', () => {
    const policy = new ListPagePolicy()
    for (const limit of [1, 4, 20, 77, 100]) expect(policy.caches(undefined, limit)).toBe(true)
  })

  it('caches the default limit and a few round ones, and no other, past the first page', () => {
    const policy = new ListPagePolicy()
    expect(CACHED_LIMITS).toContain(20)
    for (let limit = 1; limit <= 100; limit++) policy.handedOut(limit, '40')
    const cached = Array.from({ length: 100 }, (_, i) => i + 1).filter((limit) =>
      policy.caches(40, limit),
    )
    expect(cached).toEqual([...CACHED_LIMITS])
  })

  it('caches a cursor only once a cached page handed it out, for that limit only', () => {
    const policy = new ListPagePolicy()
    expect(policy.caches(20, 20)).toBe(false)
    policy.handedOut(20, '20')
    expect(policy.caches(20, 20)).toBe(true)
    expect(policy.caches(20, 10)).toBe(false)
    expect(policy.caches(21, 20)).toBe(false)
  })

  it('remembers nothing for the last page (no next_cursor) or an uncached limit', () => {
    const policy = new ListPagePolicy()
    policy.handedOut(20, null)
    policy.handedOut(77, '154')
    expect(policy.remembered).toBe(0)
    expect(policy.caches(154, 77)).toBe(false)
  })

  it('remembers at most `capacity` pairs, dropping the least recently used', () => {
    const policy = new ListPagePolicy({ capacity: 3 })
    for (const cursor of ['20', '40', '60']) policy.handedOut(20, cursor)
    expect(policy.caches(20, 20)).toBe(true) // used: 40 is now the oldest
    policy.handedOut(20, '80')
    expect(policy.remembered).toBe(3)
    expect(policy.caches(40, 20)).toBe(false)
    for (const cursor of [20, 60, 80]) expect(policy.caches(cursor, 20)).toBe(true)
  })

  it('stays bounded however many cursors it is handed', () => {
    const policy = new ListPagePolicy({ capacity: 1000 })
    for (let i = 1; i <= 100_000; i++) policy.handedOut(20, String(i))
    expect(policy.remembered).toBe(1000)
  })

  it('never stores a page past the end', () => {
    const policy = new ListPagePolicy()
    expect(policy.stores(page(0))).toBe(false)
    expect(policy.stores(page(1))).toBe(true)
  })
})

describe('ListPagePolicy (every-page, to show what the bound prevents)', () => {
  it('caches and stores every page, past the end included, and remembers nothing', () => {
    const policy = new ListPagePolicy({ caching: 'every-page' })
    expect(policy.caches(123_456_789, 77)).toBe(true)
    expect(policy.stores(page(0))).toBe(true)
    policy.handedOut(20, '20')
    expect(policy.remembered).toBe(0)
  })
})

describe('listPageLifetime', () => {
  it('is LIST_PAGE_LIFETIME, or the configured lifetime where that is shorter', () => {
    expect(listPageLifetime({ ttlSeconds: 300, graceSeconds: 3600 })).toEqual(LIST_PAGE_LIFETIME)
    expect(listPageLifetime({ ttlSeconds: 2, graceSeconds: 0 })).toEqual({
      ttlSeconds: 2,
      graceSeconds: 0,
    })
  })
})
