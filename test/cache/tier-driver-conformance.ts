import { describe, expect, it } from 'vitest'
import type { Entry } from '../../src/cache/entry.js'
import type { TierDriver } from '../../src/cache/tier-driver.js'
import { waitUntil } from './helpers.js'

/** A valid entry in the current format: what the cache writes. */
function entry(value: unknown, storedAt = 1_700_000_000_000): Entry<unknown> {
  return { value, storedAt, freshUntil: storedAt + 300_000, loadMs: 3 }
}

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
      const stored = entry({ id: 1, tags: ['a'], price: null })
      await driver.set(key('1'), stored, 60_000)
      await expect(driver.get(key('1'))).resolves.toEqual(stored)
    })

    it('gives back "no such thing" and tag versions as they were', async () => {
      const { driver, key } = await setup()
      const absent: Entry<unknown> = { absent: true, storedAt: 1, freshUntil: 2, loadMs: 0 }
      const tagged: Entry<unknown> = { ...entry('x'), tags: { pens: 2, office: 0 } }
      await driver.set(key('absent'), absent, 60_000)
      await driver.set(key('tagged'), tagged, 60_000)
      await expect(driver.get(key('absent'))).resolves.toEqual(absent)
      await expect(driver.get(key('tagged'))).resolves.toEqual(tagged)
    })

    it('replaces an entry', async () => {
      const { driver, key } = await setup()
      await driver.set(key('1'), entry('old', 1), 60_000)
      await driver.set(key('1'), entry('new', 2), 60_000)
      await expect(driver.get(key('1'))).resolves.toEqual(entry('new', 2))
    })

    it('deletes an entry, and deleting an absent one is fine', async () => {
      const { driver, key } = await setup()
      await driver.set(key('1'), entry(1), 60_000)
      await driver.delete(key('1'))
      await driver.delete(key('never-set'))
      await expect(driver.get(key('1'))).resolves.toBeUndefined()
    })

    it('forgets an entry once its TTL has passed', async () => {
      const { driver, key } = await setup()
      await driver.set(key('short'), entry(1), 50)
      await waitUntil(
        async () => (await driver.get(key('short'))) === undefined,
        'the entry expires',
      )
    })
  })
}
