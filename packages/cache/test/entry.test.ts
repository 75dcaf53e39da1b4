import { describe, expect, it } from 'vitest'
import { decodeEntry, encodeEntry } from '../src/entry.js'

const pen = { id: 42, name: 'pen' }

describe('entry envelope', () => {
  it('round-trips as readable JSON', () => {
    const entry = {
      value: pen,
      storedAt: 1_700_000_000_000,
      freshUntil: 1_700_000_300_000,
      loadMs: 3,
    }
    const raw = encodeEntry(entry)
    expect(raw).toBe(
      '{"value":{"id":42,"name":"pen"},"storedAt":1700000000000,"freshUntil":1700000300000,"loadMs":3}',
    )
    expect(decodeEntry(raw)).toEqual(entry)
  })

  it('round-trips "no such thing" (negative caching) and tag versions', () => {
    const absent = { absent: true as const, storedAt: 1, freshUntil: 2, loadMs: 0 }
    expect(decodeEntry(encodeEntry(absent))).toEqual(absent)
    const tagged = { value: 1, storedAt: 1, freshUntil: 2, loadMs: 0, tags: { pens: 3 } }
    expect(decodeEntry(encodeEntry(tagged))).toEqual(tagged)
  })

  it('keeps a null value (only undefined means "nothing")', () => {
    expect(decodeEntry('{"value":null,"storedAt":1,"freshUntil":2,"loadMs":0}')).toMatchObject({
      value: null,
    })
  })

  it.each([
    ['not JSON', 'pen'],
    ['a bare JSON value', '42'],
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['in the old format (no freshUntil, no loadMs)', '{"value":1,"storedAt":1}'],
    ['neither a value nor absent', '{"storedAt":1,"freshUntil":2,"loadMs":0}'],
    ['both a value and absent', '{"value":1,"absent":true,"storedAt":1,"freshUntil":2,"loadMs":0}'],
    [
      'a storedAt that is not a number',
      '{"value":1,"storedAt":"yesterday","freshUntil":2,"loadMs":0}',
    ],
    ['a negative loadMs', '{"value":1,"storedAt":1,"freshUntil":2,"loadMs":-1}'],
    [
      'tags that are not versions',
      '{"value":1,"storedAt":1,"freshUntil":2,"loadMs":0,"tags":["a"]}',
    ],
    [
      'a tag version that is not an integer',
      '{"value":1,"storedAt":1,"freshUntil":2,"loadMs":0,"tags":{"a":"1"}}',
    ],
  ])('is not an entry when it is %s', (_case, raw) => {
    expect(decodeEntry(raw)).toBeUndefined()
  })
})
