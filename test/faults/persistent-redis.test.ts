import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { persistentRedisUrl, startRedisServer, uniquePrefix } from '../support/redis.js'

function client(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  onTestFinished(() => redis.disconnect())
  return redis
}

describe("the suite's persistent Redis (test/support/global-setup.ts)", () => {
  it('logs writes to an append-only file, fsynced every second', async () => {
    const redis = client(persistentRedisUrl())
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec'])
  })
})

describe('startRedisServer({ appendonly })', () => {
  it('with it, reloads its AOF after a crash, starts empty on restartEmpty(), and dispose() removes its directory', async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: 'always' })
    onTestFinished(() => server.dispose())
    const key = `${uniquePrefix()}kept`
    const dir = server.dir
    expect(dir).toBeDefined()

    const before = client(server.url)
    await before.set(key, 'v')
    await server.kill() // SIGKILL: no chance to flush; 'always' fsynced the SET already
    await server.start()
    expect(await client(server.url).get(key)).toBe('v')

    await server.restart() // SIGTERM then start: still persistent
    expect(await client(server.url).get(key)).toBe('v')

    await server.restartEmpty()
    expect(await client(server.url).get(key)).toBeNull()
    expect(await client(server.url).config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])

    await server.dispose()
    expect(existsSync(dir as string)).toBe(false)
  })

  it('without it, comes back empty from restart(); start() refuses a server still running', async () => {
    const server = await startRedisServer()
    onTestFinished(() => server.dispose())
    expect(server.dir).toBeUndefined()
    const key = `${uniquePrefix()}lost`
    await client(server.url).set(key, 'v')
    await server.restart()
    expect(await client(server.url).get(key)).toBeNull()
    await expect(server.start()).rejects.toThrow('still running')
  })
})
