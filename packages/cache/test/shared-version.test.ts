import { describe, expect, it, vi } from 'vitest'
import { SharedVersion, type VersionStore } from '../src/shared-version.js'

// The store is scripted here: what is under test is the ordering of answers inside one process.
// The Redis store itself is covered in cache-version.test.ts.
function scriptedStore() {
  const pending: Array<{ resolve: (version: number) => void; reject: (error: unknown) => void }> =
    []
  const answerLater = (): Promise<number> =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject })
    })
  const store: VersionStore = { sync: vi.fn(answerLater), bump: vi.fn(answerLater) }
  return { store, pending }
}

describe('SharedVersion', () => {
  it('does not go backwards when a slow sync answers after a local bump', async () => {
    const { store, pending } = scriptedStore()
    const version = new SharedVersion({ store, initial: 1, refreshMs: 60_000, onError: () => {} })

    const refresh = version.refresh() // reads 1 …
    const bump = version.bump() // … while a bump moves the store to 2
    pending[1]?.resolve(2)
    await expect(bump).resolves.toBe(2)
    pending[0]?.resolve(1) // the read answers last, with the old version
    await refresh

    expect(version.current).toBe(2)
  })

  it('starts on the initial version, unconfirmed, when the store fails; reports instead of throwing', async () => {
    const failure = new Error('down')
    const store: VersionStore = { sync: vi.fn(async () => Promise.reject(failure)), bump: vi.fn() }
    const onError = vi.fn()
    const version = new SharedVersion({ store, initial: 3, refreshMs: 60_000, onError })

    await version.start()
    await version.stop()

    expect(version.current).toBe(3)
    expect(version.confirmed).toBe(false)
    expect(onError).toHaveBeenCalledWith(failure)
    await expect(version.confirmedVersion()).rejects.toMatchObject({ cause: failure })
  })

  it('shares one in-flight sync between concurrent refreshes', async () => {
    const { store, pending } = scriptedStore()
    const version = new SharedVersion({ store, initial: 1, refreshMs: 60_000, onError: () => {} })

    const both = Promise.all([version.refresh(), version.refresh()])
    pending[0]?.resolve(4)
    await both

    expect(store.sync).toHaveBeenCalledTimes(1)
    expect(version.current).toBe(4)
    expect(version.confirmed).toBe(true)
  })

  it('sends its own copy, so the store can re-create a lost key from it', async () => {
    const store: VersionStore = { sync: vi.fn(async (atLeast: number) => atLeast), bump: vi.fn() }
    const version = new SharedVersion({ store, initial: 5, refreshMs: 60_000, onError: () => {} })
    await version.refresh()
    expect(store.sync).toHaveBeenCalledWith(5)
  })
})
