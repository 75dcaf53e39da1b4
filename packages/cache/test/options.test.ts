import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { entryKey, keyNamespace, tagsKey, versionKey } from '../src/keys.js'
import { resolveCacheOptions } from '../src/options.js'
import { generationKey, leaseKey } from '../src/redis/redis-coordinator.js'

// Resolution never touches the client.
const redis = {} as Redis

describe('resolveCacheOptions', () => {
  it('fills in the documented defaults, with durations in ms', () => {
    const resolved = resolveCacheOptions({ name: 'product', redis })
    expect(resolved).toMatchObject({
      name: 'product',
      keyPrefix: '',
      freshMs: 300_000,
      graceMs: 3_600_000,
      negativeTtlMs: 30_000,
      ttlJitter: 0.1,
      initialVersion: 1,
      versionRefreshMs: 500,
      tags: undefined,
      leaseWaitMs: 1000,
      loaderTimeoutMs: 3000,
      failSafeBackoffMs: 5000,
      earlyRefreshBeta: 1,
      circuitBreaker: {},
      countLateTimeouts: false,
    })
    expect(resolved.validate('anything')).toBe(true)
    expect(() => resolved.observer.error('product', 'get', new Error('x'))).not.toThrow()
    expect(() => resolved.observer.circuit('product', 'open')).not.toThrow()
  })

  it('takes fractions of a second, and 0 where a feature can be turned off', () => {
    const resolved = resolveCacheOptions({
      name: 'product',
      redis,
      ttlSeconds: 0.2,
      graceSeconds: 0,
      negativeTtlSeconds: 0,
      ttlJitter: 0,
      earlyRefreshBeta: 0,
      circuitBreaker: false,
    })
    expect(resolved).toMatchObject({
      freshMs: 200,
      graceMs: 0,
      negativeTtlMs: 0,
      ttlJitter: 0,
      earlyRefreshBeta: 0,
      circuitBreaker: false,
    })
  })

  it('holds a lease longer than anyone waits for it or for a load', () => {
    expect(resolveCacheOptions({ name: 'p', redis }).leaseMs).toBe(4000)
    expect(resolveCacheOptions({ name: 'p', redis, loaderTimeoutMs: 7000 }).leaseMs).toBe(8000)
  })

  it('leaves a caller whose wait for a lease was in vain time to load itself', () => {
    const bad = { name: 'p', redis, leaseWaitMs: 3000, loaderTimeoutMs: 3000 }
    expect(() => resolveCacheOptions(bad)).toThrow(
      /leaseWaitMs \(3000\) must be below loaderTimeoutMs/,
    )
    expect(resolveCacheOptions({ ...bad, leaseWaitMs: 2999 }).leaseWaitMs).toBe(2999)
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
    [{ name: 'pro duct' }, /name/],
    [{ ttlSeconds: 0 }, /ttlSeconds/],
    [{ ttlSeconds: Number.POSITIVE_INFINITY }, /ttlSeconds/],
    [{ graceSeconds: -1 }, /graceSeconds/],
    [{ negativeTtlSeconds: -1 }, /negativeTtlSeconds/],
    [{ negativeTtlSeconds: Number.NaN }, /negativeTtlSeconds/],
    [{ ttlJitter: -0.1 }, /ttlJitter/],
    [{ initialVersion: 0 }, /initialVersion/],
    [{ initialVersion: 1.5 }, /initialVersion/],
    [{ versionRefreshMs: Number.NaN }, /versionRefreshMs/],
    [{ versionRefreshMs: 0 }, /versionRefreshMs/],
    [{ leaseWaitMs: 0 }, /leaseWaitMs/],
    [{ loaderTimeoutMs: -5 }, /loaderTimeoutMs/],
    [{ failSafeBackoffMs: 0 }, /failSafeBackoffMs/],
    [{ earlyRefreshBeta: -1 }, /earlyRefreshBeta/],
  ])('rejects %o, naming the option', (bad, message) => {
    expect(() => resolveCacheOptions({ name: 'product', redis, ...bad })).toThrow(message)
  })
})

describe('keys', () => {
  it('follows the public layout', () => {
    expect(entryKey(keyNamespace('', 'product'), 1, '42')).toBe('product:v1:42')
    expect(entryKey(keyNamespace('app:', 'product'), 7, '42')).toBe('app:product:v7:42')
    expect(versionKey(keyNamespace('app:', 'product'))).toBe('app:product:version')
    expect(tagsKey(keyNamespace('app:', 'product'))).toBe('app:product:tags')
  })

  it("puts an entry's lease and generation in its hash slot (Redis Cluster)", () => {
    expect(leaseKey('app:product:v7:42')).toBe('{app:product:v7:42}:lease')
    expect(generationKey('app:product:v7:42')).toBe('{app:product:v7:42}:gen')
  })
})
