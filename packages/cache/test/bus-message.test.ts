import { describe, expect, it } from 'vitest'
import {
  BUS_LIMITS,
  type BusMessage,
  type BusRejectReason,
  decodeBusMessage,
  encodeBusMessage,
  type WireMessage,
} from '../src/bus/bus-message.js'

const FROM = 'instance-a'
const key = (length: number, char = 'k') => char.repeat(length)
const manyTags = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`tag${i}`, 1]))
const manyKeys = (count: number) => Array.from({ length: count }, (_, i) => `key${i}`)

/** A wire message as an object, for tests to bend one field at a time. */
function wire(fields: Record<string, unknown>): string {
  return JSON.stringify({
    v: 1,
    from: FROM,
    op: 'delete',
    cache: 'product',
    keys: ['k1'],
    ...fields,
  })
}

describe('decodeBusMessage: valid messages', () => {
  const valid: Array<[string, BusMessage]> = [
    ['delete', { op: 'delete', cache: 'product', keys: ['product:v1:42', 'product:v1:43'] }],
    ['version', { op: 'version', cache: 'product_list-2', version: 7 }],
    ['tags', { op: 'tags', cache: 'product', tags: { 'category:3': 12, brand: 1 } }],
    ['delete at the bounds', { op: 'delete', cache: 'p', keys: [key(1024), ...manyKeys(999)] }],
    ['tags at the bounds', { op: 'tags', cache: 'p', tags: manyTags(1000) }],
    ['the largest version', { op: 'version', cache: 'p', version: Number.MAX_SAFE_INTEGER }],
    ['keys of any characters', { op: 'delete', cache: 'p', keys: ['é:🙂', '"\\\n\u0000', ' '] }],
  ]

  it.each(valid)('round-trips %s', (_, message) => {
    expect(decodeBusMessage(encodeBusMessage(FROM, message))).toEqual({
      ok: true,
      from: FROM,
      message,
    })
  })

  it('writes the documented wire format', () => {
    expect(
      JSON.parse(encodeBusMessage(FROM, { op: 'version', cache: 'product', version: 3 })),
    ).toEqual({
      v: 1,
      from: FROM,
      op: 'version',
      cache: 'product',
      version: 3,
    })
  })

  it.each<[string, WireMessage, number]>([
    ['an invalidation', { op: 'delete', cache: 'p', keys: ['k'] }, 7],
    ['the largest number', { op: 'version', cache: 'p', version: 2 }, Number.MAX_SAFE_INTEGER],
    ['a heartbeat', { op: 'heartbeat' }, 3],
    ['a heartbeat before any invalidation', { op: 'heartbeat' }, 0],
    ['a bye', { op: 'bye' }, 12],
  ])('round-trips the sequence number of %s', (_, message, seq) => {
    const encoded = encodeBusMessage(FROM, message, seq)
    expect(JSON.parse(encoded)).toEqual({ v: 1, from: FROM, seq, ...message })
    expect(decodeBusMessage(encoded)).toEqual({ ok: true, from: FROM, seq, message })
  })

  it('takes an invalidation without a sequence number, as instances from before it send', () => {
    expect(decodeBusMessage(wire({}))).toMatchObject({ ok: true, seq: undefined })
  })

  it('counts a key in UTF-8 bytes, as Redis does', () => {
    const fits = key(341, '€') // 3 bytes each: 1023 bytes
    expect(decodeBusMessage(wire({ keys: [fits] })).ok).toBe(true)
    expect(decodeBusMessage(wire({ keys: [`${fits}ab`] }))).toMatchObject({ reason: 'too-large' })
  })

  it('keeps a tag named __proto__ as a plain tag', () => {
    const decoded = decodeBusMessage(
      '{"v":1,"from":"b","op":"tags","cache":"p","tags":{"__proto__":5}}',
    )
    expect(decoded.ok).toBe(true)
    if (!decoded.ok || decoded.message.op !== 'tags') return
    expect(Object.entries(decoded.message.tags)).toEqual([['__proto__', 5]])
    expect(Object.getPrototypeOf(decoded.message.tags)).toBe(Object.prototype)
  })

  // Unknown fields are ignored, not rejected: acting on an invalidation is always safe, dropping
  // one serves stale data, and a later v1 may add optional fields during a rolling deploy.
  it('ignores unknown fields, a value included, and never passes them on', () => {
    const decoded = decodeBusMessage(wire({ value: { price: 10 }, ts: 123, version: 3 }))
    expect(decoded).toEqual({
      ok: true,
      from: FROM,
      message: { op: 'delete', cache: 'product', keys: ['k1'] },
    })
  })
})

describe('decodeBusMessage: rejected messages', () => {
  const rejected: Array<[string, string, BusRejectReason]> = [
    ['empty', '', 'not-json'],
    ['not JSON', '{"v":1,', 'not-json'],
    ['plain text', 'delete product 42', 'not-json'],
    ['null', 'null', 'invalid-shape'],
    ['a number', '1', 'invalid-shape'],
    ['a string', '"delete"', 'invalid-shape'],
    ['an array', '[1,"a","delete"]', 'invalid-shape'],
    ['no v', wire({ v: undefined }), 'unsupported-version'],
    ['v 2', wire({ v: 2 }), 'unsupported-version'],
    ['v "1"', wire({ v: '1' }), 'unsupported-version'],
    ['v 1.5', wire({ v: 1.5 }), 'unsupported-version'],
    ['no from', wire({ from: undefined }), 'invalid-shape'],
    ['empty from', wire({ from: '' }), 'invalid-shape'],
    ['numeric from', wire({ from: 7 }), 'invalid-shape'],
    ['overlong from', wire({ from: key(129) }), 'invalid-shape'],
    ['no op', wire({ op: undefined }), 'invalid-shape'],
    ['unknown op', wire({ op: 'set' }), 'invalid-shape'],
    ['op in capitals', wire({ op: 'DELETE' }), 'invalid-shape'],
    ['no cache', wire({ cache: undefined }), 'invalid-shape'],
    ['empty cache', wire({ cache: '' }), 'invalid-shape'],
    ['cache with a colon', wire({ cache: 'product:v1' }), 'invalid-shape'],
    ['cache not a string', wire({ cache: ['product'] }), 'invalid-shape'],
    ['overlong cache', wire({ cache: key(257) }), 'invalid-shape'],
    ['no keys', wire({ keys: undefined }), 'invalid-shape'],
    ['keys a string', wire({ keys: 'k1' }), 'invalid-shape'],
    ['keys an object', wire({ keys: { 0: 'k1' } }), 'invalid-shape'],
    ['empty keys', wire({ keys: [] }), 'invalid-shape'],
    ['an empty key', wire({ keys: ['k1', ''] }), 'invalid-shape'],
    ['a numeric key', wire({ keys: ['k1', 42] }), 'invalid-shape'],
    ['a null key', wire({ keys: [null] }), 'invalid-shape'],
    ['a nested key', wire({ keys: [['k1']] }), 'invalid-shape'],
    ['1,001 keys', wire({ keys: manyKeys(1001) }), 'too-large'],
    ['a key over 1 KiB', wire({ keys: [key(1025)] }), 'too-large'],
    ['version missing', wire({ op: 'version', version: undefined }), 'invalid-shape'],
    ['version 0', wire({ op: 'version', version: 0 }), 'invalid-shape'],
    ['version -1', wire({ op: 'version', version: -1 }), 'invalid-shape'],
    ['version 1.5', wire({ op: 'version', version: 1.5 }), 'invalid-shape'],
    ['version "2"', wire({ op: 'version', version: '2' }), 'invalid-shape'],
    ['version unsafe', wire({ op: 'version', version: 2 ** 53 }), 'invalid-shape'],
    [
      'version 1e400',
      '{"v":1,"from":"b","op":"version","cache":"p","version":1e400}',
      'invalid-shape',
    ],
    ['tags missing', wire({ op: 'tags' }), 'invalid-shape'],
    ['tags an array', wire({ op: 'tags', tags: [['t', 1]] }), 'invalid-shape'],
    ['tags null', wire({ op: 'tags', tags: null }), 'invalid-shape'],
    ['tags empty', wire({ op: 'tags', tags: {} }), 'invalid-shape'],
    ['an empty tag', wire({ op: 'tags', tags: { '': 1 } }), 'invalid-shape'],
    ['a tag over 1 KiB', wire({ op: 'tags', tags: { [key(1025)]: 1 } }), 'too-large'],
    ['a tag version 0', wire({ op: 'tags', tags: { t: 0 } }), 'invalid-shape'],
    ['a tag version "1"', wire({ op: 'tags', tags: { t: '1' } }), 'invalid-shape'],
    ['a tag version null', wire({ op: 'tags', tags: { t: null } }), 'invalid-shape'],
    ['1,001 tags', wire({ op: 'tags', tags: manyTags(1001) }), 'too-large'],
    ['over 2 MiB', ' '.repeat(BUS_LIMITS.encodedLength + 1), 'too-large'],
    ['seq -1', wire({ seq: -1 }), 'invalid-shape'],
    ['seq 1.5', wire({ seq: 1.5 }), 'invalid-shape'],
    ['seq "3"', wire({ seq: '3' }), 'invalid-shape'],
    ['seq null', wire({ seq: null }), 'invalid-shape'],
    ['seq unsafe', wire({ seq: 2 ** 53 }), 'invalid-shape'],
    ['a heartbeat without seq', wire({ op: 'heartbeat' }), 'invalid-shape'],
    ['a bye without seq', wire({ op: 'bye' }), 'invalid-shape'],
    ['a heartbeat in capitals', wire({ op: 'HEARTBEAT', seq: 1 }), 'invalid-shape'],
  ]

  it.each(rejected)('rejects %s', (_, raw, reason) => {
    const decoded = decodeBusMessage(raw)
    expect(decoded).toMatchObject({ ok: false, reason })
    if (!decoded.ok) expect(decoded.detail.length).toBeLessThan(200)
  })

  it('never echoes a long input in the detail (it goes to logs)', () => {
    const decoded = decodeBusMessage(wire({ cache: `${key(5000)}:x` }))
    expect(decoded).toEqual({
      ok: false,
      reason: 'invalid-shape',
      detail: 'cache is a string of 5002 characters',
    })
  })

  it('checks the size before parsing', () => {
    // Would be valid JSON, but parsing it would cost more than the bound allows.
    const huge = JSON.stringify({ v: 1, padding: ' '.repeat(BUS_LIMITS.encodedLength) })
    expect(decodeBusMessage(huge)).toMatchObject({ reason: 'too-large' })
  })
})

describe('encodeBusMessage', () => {
  it('never puts a field other than the known ones on the wire', () => {
    const withValue = { op: 'delete', cache: 'p', keys: ['k'], value: 'secret' } as BusMessage
    expect(encodeBusMessage(FROM, withValue)).not.toContain('secret')
  })

  it.each<[string, BusMessage]>([
    ['no keys', { op: 'delete', cache: 'p', keys: [] }],
    ['1,001 keys', { op: 'delete', cache: 'p', keys: manyKeys(1001) }],
    ['a bad cache name', { op: 'delete', cache: 'a:b', keys: ['k'] }],
    ['version 0', { op: 'version', cache: 'p', version: 0 }],
    ['version NaN', { op: 'version', cache: 'p', version: Number.NaN }],
    ['a fractional tag version', { op: 'tags', cache: 'p', tags: { t: 1.5 } }],
    ['an unknown op', { op: 'clear', cache: 'p' } as unknown as BusMessage],
  ])('refuses a message receivers would reject: %s', (_, message) => {
    expect(() => encodeBusMessage(FROM, message)).toThrow(RangeError)
  })

  it.each<[string, WireMessage, number | undefined]>([
    ['a negative number', { op: 'delete', cache: 'p', keys: ['k'] }, -1],
    ['a fractional number', { op: 'delete', cache: 'p', keys: ['k'] }, 0.5],
    ['a heartbeat without one', { op: 'heartbeat' }, undefined],
  ])('refuses a sequence number receivers would reject: %s', (_, message, seq) => {
    expect(() => encodeBusMessage(FROM, message, seq)).toThrow(RangeError)
  })

  it('refuses a bad instance id', () => {
    const message: BusMessage = { op: 'version', cache: 'p', version: 1 }
    expect(() => encodeBusMessage('', message)).toThrow(RangeError)
    expect(() => encodeBusMessage(key(129), message)).toThrow(RangeError)
  })

  it('refuses a message too large once encoded (keys full of escapes)', () => {
    // 1,000 keys of 1,000 control characters: within the key bounds, 6 MB as JSON.
    const message: BusMessage = {
      op: 'delete',
      cache: 'p',
      keys: Array(1000).fill(key(1000, '\u0001')),
    }
    expect(() => encodeBusMessage(FROM, message)).toThrow(/too-large/)
  })
})
