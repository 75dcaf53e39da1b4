import { describe, expect, it } from 'vitest'
import { decodeEntry, encodeEntry } from '../../src/cache/entry.js'

describe('entry envelope', () => {
  it('round-trips as readable JSON', () => {
    const raw = encodeEntry({ value: { id: 42, name: 'pen' }, storedAt: 1_700_000_000_000 })
    expect(raw).toBe('{"value":{"id":42,"name":"pen"},"storedAt":1700000000000}')
    expect(decodeEntry(raw)).toEqual({
      value: { id: 42, name: 'pen' },
      storedAt: 1_700_000_000_000,
    })
  })

  it('keeps a null value (only undefined means "nothing")', () => {
    expect(decodeEntry('{"value":null,"storedAt":1}')).toEqual({ value: null, storedAt: 1 })
  })

  it('ignores fields it does not know, so newer writers can add some', () => {
    expect(decodeEntry('{"value":1,"storedAt":2,"freshUntil":3}')).toEqual({
      value: 1,
      storedAt: 2,
    })
  })

  it.each([
    ['not JSON', 'pen'],
    ['a bare JSON value', '42'],
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['no value', '{"storedAt":1}'],
    ['no storedAt', '{"value":1}'],
    ['a storedAt that is not a number', '{"value":1,"storedAt":"yesterday"}'],
  ])('is not an entry when it is %s', (_case, raw) => {
    expect(decodeEntry(raw)).toBeUndefined()
  })
})
