import { describe, expect, it, vi } from 'vitest'
import { bucketsSince, NO_BUCKETS, quantileOf } from '../../src/http/stats/bucket-counts.js'
import { parseRedisInfo, rememberFor } from '../../src/http/stats/dependencies.js'
import type { MetricSample } from '../../src/http/stats/metric-sample.js'
import { SampleWindow } from '../../src/http/stats/sample-window.js'

const INF = Number.POSITIVE_INFINITY

describe('quantileOf (as PromQL histogram_quantile)', () => {
  const counts = { bounds: [0.1, 0.5, 1, INF], cumulative: [10, 20, 20, 20] }

  it('interpolates linearly within the bucket holding the rank, from 0 for the first', () => {
    expect(quantileOf(counts, 0.5)).toBeCloseTo(0.1) // rank 10: the top of the first bucket
    expect(quantileOf(counts, 0.25)).toBeCloseTo(0.05)
    expect(quantileOf(counts, 0.75)).toBeCloseTo(0.3) // rank 15: halfway through (0.1, 0.5]
  })

  it('answers the highest finite bound for a rank in +Inf, and nothing without observations', () => {
    expect(quantileOf({ bounds: [0.1, 1, INF], cumulative: [0, 5, 10] }, 0.9)).toBe(1)
    expect(quantileOf({ bounds: [0.1, 1, INF], cumulative: [0, 0, 0] }, 0.5)).toBeUndefined()
    expect(quantileOf(NO_BUCKETS, 0.5)).toBeUndefined()
  })

  it('takes what was observed between two readings, even from before the first series', () => {
    const later = { bounds: [0.1, 1, INF], cumulative: [4, 9, 10] }
    expect(bucketsSince(later, { bounds: [0.1, 1, INF], cumulative: [1, 2, 2] })).toEqual({
      bounds: [0.1, 1, INF],
      cumulative: [3, 7, 8],
    })
    expect(bucketsSince(later, NO_BUCKETS)).toEqual(later)
  })
})

describe('parseRedisInfo', () => {
  const info = [
    '# Server',
    'redis_version:7.0.15',
    'uptime_in_seconds:3600',
    '',
    '# Clients',
    'connected_clients:4',
    '# Memory',
    'used_memory:1048576',
    'used_memory_human:1.00M',
    '# Stats',
    'instantaneous_ops_per_sec:12',
    'keyspace_hits:90',
    'keyspace_misses:10',
    '# Keyspace',
    'db0:keys=12,expires=3,avg_ttl=0',
    'db1:keys=3,expires=0,avg_ttl=0',
  ].join('\r\n')

  it('reads the fields the dashboard shows and sums the keys of every database', () => {
    expect(parseRedisInfo(info)).toEqual({
      version: '7.0.15',
      uptime_seconds: 3600,
      used_memory_bytes: 1048576,
      used_memory_human: '1.00M',
      connected_clients: 4,
      keyspace_hits: 90,
      keyspace_misses: 10,
      ops_per_second: 12,
      keys: 15,
    })
  })

  it('answers null for what INFO did not say, and 0 keys for an empty Redis', () => {
    expect(parseRedisInfo('# Server\r\nredis_version:6.2.0\r\n')).toMatchObject({
      version: '6.2.0',
      used_memory_bytes: null,
      keyspace_hits: null,
      keys: 0,
    })
  })
})

describe('SampleWindow', () => {
  const sampler = () => {
    let taken = 0
    return vi.fn(async (): Promise<MetricSample> => {
      taken++
      return {
        // In the past, as a real sample is once read, yet strictly later each time.
        at: performance.now() - 1000 + taken,
        requests: NO_BUCKETS,
        dbQueries: NO_BUCKETS,
        redisCommands: NO_BUCKETS,
        hitsL1: taken,
        hitsL2: 0,
        misses: 0,
        staleServed: 0,
        loads: 0,
        coalesced: 0,
        fencedFills: 0,
        errors: 0,
        circuit: 0,
      }
    })
  }

  it('takes one sample for readers that come together or within the minimum interval', async () => {
    const take = sampler()
    const window = new SampleWindow(take, { minIntervalMs: 60_000 })
    const [first, second] = await Promise.all([window.current(), window.current()])
    await window.current()
    expect(take).toHaveBeenCalledTimes(1)
    expect(first.newest).toBe(second.newest)
    expect(first.oldest).toBe(first.newest) // one sample: an empty span
  })

  it('spans from the oldest sample still in the window to the newest', async () => {
    const take = sampler()
    const keepAll = new SampleWindow(take, { minIntervalMs: 0, windowMs: 60_000 })
    const { newest: first } = await keepAll.current()
    await keepAll.current()
    const span = await keepAll.current()
    expect(span.oldest).toBe(first)
    expect(span.newest.hitsL1).toBe(3)

    const keepNone = new SampleWindow(sampler(), { minIntervalMs: 0, windowMs: 0 })
    await keepNone.current()
    const alone = await keepNone.current()
    expect(alone.oldest).toBe(alone.newest) // the first sample fell out of the window
  })
})

describe('rememberFor', () => {
  it('asks once per period, however many callers come meanwhile', async () => {
    const load = vi.fn(async () => 'state')
    const remembered = rememberFor(60_000, load)
    expect(await Promise.all([remembered(), remembered(), remembered()])).toEqual([
      'state',
      'state',
      'state',
    ])
    expect(load).toHaveBeenCalledTimes(1)
  })
})
