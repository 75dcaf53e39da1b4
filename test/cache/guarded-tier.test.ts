import { BrokenCircuitError } from 'cockatiel'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { GuardedTier } from '../../src/cache/guarded-tier.js'
import { RedisTier } from '../../src/cache/redis/redis-tier.js'
import { RedisGuard } from '../../src/cache/redis-guard.js'
import { startRedisServer } from '../support/redis.js'
import { connectClient, entryOf } from './helpers.js'

// The failure policy around a tier: reads and fills never throw, a removal rejects; every
// failure is reported once; an open circuit calls nothing and reports nothing.

async function setup(breaker: ConstructorParameters<typeof RedisGuard>[0]['breaker'] = false) {
  const server = await startRedisServer()
  onTestFinished(() => server.stop())
  const report = vi.fn()
  const onStateChange = vi.fn()
  const guard = new RedisGuard({ breaker, report, onStateChange })
  const tier = new GuardedTier(new RedisTier(await connectClient(server.url, 200)), guard)
  return { server, tier, guard, report, onStateChange }
}

describe('GuardedTier over Redis', () => {
  it('reads and fills through while Redis answers', async () => {
    const { tier, report } = await setup()
    const entry = entryOf('pen')
    expect(await tier.fill('k', entry, 60_000)).toBe(true)
    await expect(tier.read('k')).resolves.toEqual({ ok: true, value: entry })
    await expect(tier.remove('k')).resolves.toBeUndefined()
    expect(report).not.toHaveBeenCalled()
  })

  it('turns a dead Redis into a failed read and fill, and a rejected removal, each reported', async () => {
    const { server, tier, report } = await setup()
    await server.kill()

    await expect(tier.read('k')).resolves.toMatchObject({ ok: false })
    await expect(tier.fill('k', entryOf('pen'), 60_000)).resolves.toBe(false)
    await expect(tier.remove('k')).rejects.toThrow()
    expect(report.mock.calls.map(([operation]) => operation)).toEqual(['get', 'set', 'delete'])
  })

  it('behind an open circuit, calls nothing and reports nothing more', async () => {
    const { server, tier, guard, report, onStateChange } = await setup({
      threshold: 0.5,
      samplingMs: 1000,
      minimumRps: 5,
      halfOpenAfterMs: 60_000,
    })
    await server.kill()
    for (let i = 0; i < 100 && guard.state !== 'open'; i++) await tier.read('k')
    expect(onStateChange).toHaveBeenLastCalledWith('open')
    const reported = report.mock.calls.length

    const read = await tier.read('k')
    expect(read).toMatchObject({ ok: false })
    expect(!read.ok && read.error).toBeInstanceOf(BrokenCircuitError)
    await expect(tier.remove('k')).rejects.toBeInstanceOf(BrokenCircuitError)
    expect(report).toHaveBeenCalledTimes(reported)
  })
})
