import { describe, expect, it, vi } from 'vitest'
import { type Entry, encodeEntry } from '../src/entry.js'
import { MemoryTier, type MemoryTierOptions } from '../src/memory/memory-tier.js'

const LONG_TTL = 60_000

function entryOf(value: unknown): Entry<unknown> {
  return { value, storedAt: 1_700_000_000_000, freshUntil: 1_700_000_060_000, loadMs: 3 }
}

/**
 * A tier on a clock the test moves. It starts well above 0: lru-cache takes an entry whose start
 * time is 0 as one without a TTL.
 */
function tierWithClock(options: MemoryTierOptions = {}) {
  let now = 1_000_000
  const tier = new MemoryTier({ ...options, now: () => now })
  return {
    tier,
    advance: (ms: number) => {
      now += ms
    },
  }
}

function presentKeys(tier: MemoryTier, keys: string[]): string[] {
  return keys.filter((key) => tier.get(key) !== undefined)
}

describe('MemoryTier bounds', () => {
  it('keeps exactly maxItems, dropping the least recently read first', () => {
    const onEvict = vi.fn<(key: string) => void>()
    const tier = new MemoryTier({ maxItems: 3, onEvict })
    for (const key of ['a', 'b', 'c']) tier.set(key, entryOf(key), LONG_TTL)
    tier.get('a') // now b is the least recently used

    tier.set('d', entryOf('d'), LONG_TTL)

    expect(tier.entries).toBe(3)
    expect(onEvict.mock.calls).toEqual([['b']])
    expect(presentKeys(tier, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd'])

    for (let i = 0; i < 20; i++) tier.set(`more-${i}`, entryOf(i), LONG_TTL)
    expect(tier.entries).toBe(3)
    expect(onEvict).toHaveBeenCalledTimes(21)
  })

  it('keeps bytes within maxBytes, evicting the least recently read', () => {
    const onEvict = vi.fn<(key: string) => void>()
    const tier = new MemoryTier({ maxBytes: 100, onEvict })
    tier.set('a', entryOf('a'), LONG_TTL, 40)
    tier.set('b', entryOf('b'), LONG_TTL, 40)
    tier.get('a')

    tier.set('c', entryOf('c'), LONG_TTL, 40)

    expect(tier.bytes).toBe(80)
    expect(onEvict.mock.calls).toEqual([['b']])
    expect(presentKeys(tier, ['a', 'b', 'c'])).toEqual(['a', 'c'])

    for (let i = 0; i < 50; i++) {
      tier.set(`more-${i}`, entryOf(i), LONG_TTL, 1 + ((i * 37) % 100))
      expect(tier.bytes).toBeLessThanOrEqual(100)
    }
  })

  it('refuses an entry larger than maxBytes, evicting nothing for it', () => {
    const onEvict = vi.fn<(key: string) => void>()
    const tier = new MemoryTier({ maxBytes: 100, onEvict })
    tier.set('a', entryOf('a'), LONG_TTL, 40)
    tier.set('b', entryOf('b'), LONG_TTL, 40)

    tier.set('huge', entryOf('huge'), LONG_TTL, 101)
    tier.set('huge-computed', entryOf('x'.repeat(200)), LONG_TTL)

    expect(presentKeys(tier, ['a', 'b', 'huge', 'huge-computed'])).toEqual(['a', 'b'])
    expect(tier.bytes).toBe(80)
    expect(onEvict).not.toHaveBeenCalled()
  })

  it('drops the older entry when its replacement is refused, so it is never served stale', () => {
    const tier = new MemoryTier({ maxBytes: 100 })
    tier.set('a', entryOf('old'), LONG_TTL, 40)

    tier.set('a', entryOf('new but huge'), LONG_TTL, 101)

    expect(tier.get('a')).toBeUndefined()
    expect(tier.entries).toBe(0)
    expect(tier.bytes).toBe(0)
  })

  it('counts the UTF-8 size of the JSON encoding unless given the size', () => {
    const tier = new MemoryTier()
    const entry = entryOf({ name: 'crème brûlée €5' })
    tier.set('computed', entry, LONG_TTL)
    const encoded = Buffer.byteLength(encodeEntry(entry))
    expect(encoded).toBeGreaterThan(encodeEntry(entry).length) // multi-byte characters counted
    expect(tier.bytes).toBe(encoded)

    tier.set('given', entryOf('x'), LONG_TTL, 1234)
    expect(tier.bytes).toBe(encoded + 1234)
  })

  it.each([0, -1, 1.5, Number.NaN])('rejects a sizeBytes of %s', (sizeBytes) => {
    const tier = new MemoryTier()
    expect(() => tier.set('a', entryOf('a'), LONG_TTL, sizeBytes)).toThrow(/sizeBytes/)
    expect(tier.entries).toBe(0)
  })
})

describe('MemoryTier onEvict', () => {
  it('is not called on replace, delete, deleteMany, expiry or clear', () => {
    const onEvict = vi.fn<(key: string) => void>()
    const { tier, advance } = tierWithClock({ maxItems: 10, onEvict })
    tier.set('replaced', entryOf(1), LONG_TTL)
    tier.set('replaced', entryOf(2), LONG_TTL)
    tier.set('deleted', entryOf(1), LONG_TTL)
    tier.delete('deleted')
    tier.set('deleted-many', entryOf(1), LONG_TTL)
    tier.deleteMany(['deleted-many'])
    tier.set('expired', entryOf(1), 10)
    advance(11)
    expect(tier.get('expired')).toBeUndefined()
    tier.clear()

    expect(onEvict).not.toHaveBeenCalled()
  })

  it('is called once the tier is consistent, so it may read the tier', () => {
    const seen: Array<[string, boolean, number]> = []
    const tier: MemoryTier = new MemoryTier({
      maxItems: 2,
      onEvict: (key) => seen.push([key, tier.get(key) === undefined, tier.entries]),
    })
    for (const key of ['a', 'b', 'c']) tier.set(key, entryOf(key), LONG_TTL)

    expect(seen).toEqual([['a', true, 2]])
  })

  it('is not called for an expired entry that the bounds push out', () => {
    const onEvict = vi.fn<(key: string) => void>()
    const { tier, advance } = tierWithClock({ maxItems: 2, onEvict })
    tier.set('expires', entryOf(1), 10)
    tier.set('lives', entryOf(2), LONG_TTL)
    advance(11)

    tier.set('new', entryOf(3), LONG_TTL)

    expect(tier.entries).toBe(2)
    expect(onEvict).not.toHaveBeenCalled()
    expect(presentKeys(tier, ['lives', 'new'])).toEqual(['lives', 'new'])
  })
})

describe('MemoryTier ttl', () => {
  it('expires an entry after its own ttl when that is shorter than options.ttlMs', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1000 })
    tier.set('a', entryOf('a'), 100)

    advance(100)
    expect(tier.get('a')).toBeDefined() // a read does not extend the entry's life
    advance(1)
    expect(tier.get('a')).toBeUndefined()
    expect(tier.entries).toBe(0)
  })

  it('caps a longer ttl at options.ttlMs', () => {
    const { tier, advance } = tierWithClock({ ttlMs: 1000 })
    tier.set('a', entryOf('a'), LONG_TTL)

    advance(1000)
    expect(tier.get('a')).toBeDefined()
    advance(1)
    expect(tier.get('a')).toBeUndefined()
  })

  it('stores nothing for a ttl <= 0, and drops the older entry', () => {
    const tier = new MemoryTier()
    tier.set('a', entryOf('old'), LONG_TTL)

    tier.set('a', entryOf('already expired'), 0)
    tier.set('b', entryOf('already expired'), -5)

    expect(tier.entries).toBe(0)
  })

  it('rejects a NaN ttl', () => {
    expect(() => new MemoryTier().set('a', entryOf('a'), Number.NaN)).toThrow(/ttlMs/)
  })
})

describe('MemoryTier contents', () => {
  it('tracks entries and bytes through set, replace, delete, deleteMany and clear', () => {
    const tier = new MemoryTier()
    for (const key of ['a', 'b', 'c', 'd']) tier.set(key, entryOf(key), LONG_TTL, 10)
    expect([tier.entries, tier.bytes]).toEqual([4, 40])

    tier.set('a', entryOf('bigger a'), LONG_TTL, 25)
    expect([tier.entries, tier.bytes]).toEqual([4, 55])

    tier.delete('b')
    tier.delete('never-set')
    expect([tier.entries, tier.bytes]).toEqual([3, 45])
    expect(tier.get('b')).toBeUndefined()

    tier.deleteMany(new Set(['c', 'never-set']))
    expect([tier.entries, tier.bytes]).toEqual([2, 35])
    expect(presentKeys(tier, ['a', 'c', 'd'])).toEqual(['a', 'd'])

    tier.clear()
    expect([tier.entries, tier.bytes]).toEqual([0, 0])
    expect(tier.get('a')).toBeUndefined()
  })

  it('with maxItems 0 is disabled: every get misses and set stores nothing', () => {
    const tier = new MemoryTier({ maxItems: 0 })
    tier.set('a', entryOf('a'), LONG_TTL)

    expect(tier.enabled).toBe(false)
    expect(tier.get('a')).toBeUndefined()
    expect([tier.entries, tier.bytes]).toEqual([0, 0])
    tier.delete('a')
    tier.deleteMany(['a'])
    tier.clear()
    expect(new MemoryTier().enabled).toBe(true)
  })
})

describe('MemoryTier immutability', () => {
  it('hands out the very object stored, deep-frozen, so mutating it throws', () => {
    const tier = new MemoryTier()
    const stored = entryOf({ name: 'pen', tags: ['office'], dims: { cm: 14 } })
    tier.set('a', stored, LONG_TTL)

    const first = tier.get('a')
    expect(first).toBe(stored)
    expect(tier.get('a')).toBe(first)

    const value = first?.value as { name: string; tags: string[]; dims: { cm: number } }
    // Test files are ES modules, so strict mode: a write to a frozen object throws.
    expect(() => {
      value.name = 'pencil'
    }).toThrow(TypeError)
    expect(() => value.tags.push('school')).toThrow(TypeError)
    expect(() => {
      value.dims.cm = 15
    }).toThrow(TypeError)
    expect(() => {
      stored.storedAt = 0
    }).toThrow(TypeError)
    expect(tier.get('a')?.value).toEqual({ name: 'pen', tags: ['office'], dims: { cm: 14 } })
  })
})

describe('MemoryTier options', () => {
  it.each<[MemoryTierOptions, RegExp]>([
    [{ maxItems: -1 }, /maxItems/],
    [{ maxItems: 1.5 }, /maxItems/],
    [{ maxBytes: 0 }, /maxBytes/],
    [{ ttlMs: 0 }, /ttlMs/],
    [{ ttlMs: Number.POSITIVE_INFINITY }, /ttlMs/],
  ])('rejects %o, naming the option', (bad, message) => {
    expect(() => new MemoryTier(bad)).toThrow(message)
  })
})
