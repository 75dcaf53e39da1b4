import { describe, expect, it } from 'vitest'
import type { Entry } from '../src/entry.js'
import { isFresh, isWithinGrace, shouldRefreshEarly } from '../src/freshness.js'

const NOW = 1_700_000_000_000

/** An entry that stops being fresh `remainingMs` from NOW and took `loadMs` to load. */
const entryExpiringIn = (remainingMs: number, loadMs = 100): Entry<string> => ({
  value: 'pen',
  storedAt: NOW - 60_000,
  freshUntil: NOW + remainingMs,
  loadMs,
})

/** `random` pinned to one value. */
const always = (value: number) => () => value

/**
 * The share of a fixed, evenly spread set of draws in (0, 1] that would refresh early: the
 * probability, computed deterministically.
 */
function refreshProbability(entry: Entry<unknown>, beta: number, draws = 1000): number {
  let refreshed = 0
  for (let i = 1; i <= draws; i++) {
    if (shouldRefreshEarly(entry, NOW, beta, always(i / draws))) refreshed++
  }
  return refreshed / draws
}

describe('isFresh / isWithinGrace', () => {
  it('is fresh strictly before freshUntil, then stale for the grace period', () => {
    const entry = entryExpiringIn(0)
    expect(isFresh(entry, NOW - 1)).toBe(true)
    expect(isFresh(entry, NOW)).toBe(false)
    expect(isWithinGrace(entry, NOW + 999, 1000)).toBe(true)
    expect(isWithinGrace(entry, NOW + 1000, 1000)).toBe(false)
    expect(isWithinGrace(entry, NOW, 0)).toBe(false)
  })
})

describe('shouldRefreshEarly (XFetch)', () => {
  it('never refreshes early when the draw is 1 (a head start of 0)', () => {
    expect(shouldRefreshEarly(entryExpiringIn(1), NOW, 1, always(1))).toBe(false)
  })

  it('with a pinned draw, refreshes only once expiry is close enough', () => {
    // Head start = loadMs * beta * -ln(0.5) = 100 * 1 * 0.693 ≈ 69 ms.
    const half = always(0.5)
    expect(shouldRefreshEarly(entryExpiringIn(1000), NOW, 1, half)).toBe(false)
    expect(shouldRefreshEarly(entryExpiringIn(70), NOW, 1, half)).toBe(false)
    expect(shouldRefreshEarly(entryExpiringIn(69), NOW, 1, half)).toBe(true)
    expect(shouldRefreshEarly(entryExpiringIn(1), NOW, 1, half)).toBe(true)
  })

  it('grows more likely as expiry nears: exp(-remaining / (loadMs * beta))', () => {
    const probabilities = [1000, 300, 100, 30, 10, 1].map((remaining) =>
      refreshProbability(entryExpiringIn(remaining), 1),
    )
    for (let i = 1; i < probabilities.length; i++) {
      expect(probabilities[i]).toBeGreaterThan(probabilities[i - 1] ?? 1)
    }
    expect(probabilities[0]).toBeLessThan(0.001) // e^-10: a cold key is almost never refreshed
    expect(probabilities[2]).toBeCloseTo(Math.exp(-1), 2)
    expect(probabilities[5]).toBeGreaterThan(0.98)
  })

  it('starts earlier for keys that are slow to load', () => {
    const draw = always(0.5)
    expect(shouldRefreshEarly(entryExpiringIn(500, 10), NOW, 1, draw)).toBe(false)
    expect(shouldRefreshEarly(entryExpiringIn(500, 1000), NOW, 1, draw)).toBe(true)
    expect(refreshProbability(entryExpiringIn(500, 1000), 1)).toBeGreaterThan(
      refreshProbability(entryExpiringIn(500, 100), 1),
    )
  })

  it('a larger beta refreshes more eagerly', () => {
    const entry = entryExpiringIn(200)
    expect(refreshProbability(entry, 4)).toBeGreaterThan(refreshProbability(entry, 1))
    expect(refreshProbability(entry, 1)).toBeGreaterThan(refreshProbability(entry, 0.25))
  })

  it('counts an instant load as 1 ms, so such keys still refresh just before expiry', () => {
    expect(shouldRefreshEarly(entryExpiringIn(1, 0), NOW, 1, always(0.1))).toBe(true)
    expect(shouldRefreshEarly(entryExpiringIn(100, 0), NOW, 1, always(0.1))).toBe(false)
  })

  it('beta 0 turns it off, even for the smallest draw', () => {
    expect(shouldRefreshEarly(entryExpiringIn(1, 10_000), NOW, 0, always(Number.MIN_VALUE))).toBe(
      false,
    )
    expect(refreshProbability(entryExpiringIn(1), 0)).toBe(0)
  })

  it('always refreshes an entry already past its fresh period', () => {
    expect(shouldRefreshEarly(entryExpiringIn(-1), NOW, 1, always(1))).toBe(true)
  })
})
