import { describe, expect, it } from 'vitest'
import type { TierDriver } from '../../src/cache/tier-driver.js'
import { waitUntil } from './helpers.js'

/** What any tier driver must do; each driver's test file runs it with its own setup. */
export function describeTierDriver(
  name: string,
  setup: () => Promise<{ driver: TierDriver; key: (suffix: string) => string }>,
): void {
  describe(`${name} (tier driver contract)`, () => {
    it('answers undefined for a key it does not hold', async () => {
      const { driver, key } = await setup()
      await expect(driver.get(key('absent'))).resolves.toBeUndefined()
    })

    it('gives back the entry it was given', async () => {
      const { driver, key } = await setup()
      const entry = { value: { id: 1, tags: ['a'], price: null }, storedAt: 1_700_000_000_000 }
      await driver.set(key('1'), entry, 60_000)
      await expect(driver.get(key('1'))).resolves.toEqual(entry)
    })

    it('replaces an entry', async () => {
      const { driver, key } = await setup()
      await driver.set(key('1'), { value: 'old', storedAt: 1 }, 60_000)
      await driver.set(key('1'), { value: 'new', storedAt: 2 }, 60_000)
      await expect(driver.get(key('1'))).resolves.toEqual({ value: 'new', storedAt: 2 })
    })

    it('deletes an entry, and deleting an absent one is fine', async () => {
      const { driver, key } = await setup()
      await driver.set(key('1'), { value: 1, storedAt: 1 }, 60_000)
      await driver.delete(key('1'))
      await driver.delete(key('never-set'))
      await expect(driver.get(key('1'))).resolves.toBeUndefined()
    })

    it('forgets an entry once its TTL has passed', async () => {
      const { driver, key } = await setup()
      await driver.set(key('short'), { value: 1, storedAt: 1 }, 50)
      await waitUntil(
        async () => (await driver.get(key('short'))) === undefined,
        'the entry expires',
      )
    })
  })
}
