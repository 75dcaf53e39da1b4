import { describe, expect, it } from 'vitest'
import { RedisTier } from '../../src/cache/redis/redis-tier.js'
import { adminClient, connectClient, isolatedPrefix } from './helpers.js'
import { describeTierDriver } from './tier-driver-conformance.js'

async function setup() {
  const admin = adminClient()
  const prefix = isolatedPrefix(admin)
  const driver = new RedisTier(await connectClient())
  return { driver, admin, key: (suffix: string) => `${prefix}${suffix}` }
}

describeTierDriver('RedisTier', setup)

describe('RedisTier', () => {
  it('writes the value and its TTL in one command, as readable JSON', async () => {
    const { driver, admin, key } = await setup()
    await driver.set(key('1'), { value: { id: 1 }, storedAt: 5, freshUntil: 6, loadMs: 2 }, 60_000)

    expect(await admin.get(key('1'))).toBe(
      '{"value":{"id":1},"storedAt":5,"freshUntil":6,"loadMs":2}',
    )
    const pttl = await admin.pttl(key('1'))
    expect(pttl).toBeGreaterThan(55_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
  })

  it.each([
    ['what someone typed in redis-cli', 'pen'],
    ['an entry in the old format', '{"value":{"id":1},"storedAt":5}'],
  ])('answers undefined, not an error, for %s', async (_case, raw) => {
    const { driver, admin, key } = await setup()
    await admin.set(key('1'), raw)
    await expect(driver.get(key('1'))).resolves.toBeUndefined()
  })
})
