import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { entryKey, keyNamespace, versionKey } from '../../src/cache/keys.js'
import { resolveCacheOptions, withCallOptions } from '../../src/cache/options.js'

// Resolution never touches the client.
const redis = {} as Redis

describe('resolveCacheOptions', () => {
  it('fills in the documented defaults, with durations in ms', () => {
    const resolved = resolveCacheOptions({ name: 'product', redis })
    expect(resolved).toMatchObject({
      name: 'product',
      keyPrefix: '',
      ttlMs: 300_000,
      ttlJitter: 0.1,
      initialVersion: 1,
      versionRefreshMs: 500,
    })
    expect(resolved.validate('anything')).toBe(true)
    expect(() => resolved.observer.error('product', 'get', new Error('x'))).not.toThrow()
  })

  it('keeps the observer hooks it is given', () => {
    const hit = (): void => {}
    expect(resolveCacheOptions({ name: 'product', redis, observer: { hit } }).observer.hit).toBe(
      hit,
    )
  })

  it.each([
    [{ name: '' }, /name/],
    [{ name: 'product:v1' }, /name/],
    [{ ttlSeconds: 0 }, /ttlSeconds/],
    [{ ttlJitter: -0.1 }, /ttlJitter/],
    [{ initialVersion: 0 }, /initialVersion/],
    [{ initialVersion: 1.5 }, /initialVersion/],
    [{ versionRefreshMs: Number.NaN }, /versionRefreshMs/],
  ])('rejects %o, naming the option', (bad, message) => {
    expect(() => resolveCacheOptions({ name: 'product', redis, ...bad })).toThrow(message)
  })
})

describe('withCallOptions', () => {
  it('shallow-merges a per-call TTL and leaves the rest', () => {
    const resolved = resolveCacheOptions({ name: 'product', redis, ttlSeconds: 60 })
    expect(withCallOptions(resolved, { ttlSeconds: 5 })).toEqual({ ...resolved, ttlMs: 5000 })
    expect(withCallOptions(resolved, undefined)).toBe(resolved)
    expect(() => withCallOptions(resolved, { ttlSeconds: -1 })).toThrow(/ttlSeconds/)
  })
})

describe('keys', () => {
  it('follows the public layout', () => {
    expect(entryKey(keyNamespace('', 'product'), 1, '42')).toBe('product:v1:42')
    expect(entryKey(keyNamespace('app:', 'product'), 7, '42')).toBe('app:product:v7:42')
    expect(versionKey(keyNamespace('app:', 'product'))).toBe('app:product:version')
  })
})
