import { Redis } from 'ioredis'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { startTestApp } from '../support/app.js'
import { type RedisServerOptions, startRedisServer } from '../support/redis.js'
import { POLL, patchLater, rowOf } from '../worker/write-behind-support.js'

async function ownRedis(options: RedisServerOptions = {}) {
  const server = await startRedisServer(options)
  onTestFinished(() => server.dispose())
  return server
}

async function appOn(url: string, env: Record<string, string> = {}) {
  const t = await startTestApp({ REDIS_URL: url, ...env })
  onTestFinished(() => t.close())
  return t
}

describe('write-behind only on a Redis that keeps what it is given', () => {
  it('declines Prefer: respond-async on a Redis without persistence: 200, written at once', async () => {
    const t = await appOn((await ownRedis()).url)
    const response = await patchLater(t.app, 1, { name: 'kept at once' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['preference-applied']).toBeUndefined()
    expect((await rowOf(t.app, 1)).name).toBe('kept at once')
  })

  it('control: with the persistence check off, it answers 202 for a write the next restart loses', async () => {
    const t = await appOn((await ownRedis()).url, {
      UNSAFE_DISABLE_PROTECTIONS: 'persistence-check',
    })
    expect((await patchLater(t.app, 1, { name: 'staged' })).statusCode).toBe(202)
  })

  it('refuses to start with WRITE_MODE=behind there, naming the setting and why', async () => {
    const server = await ownRedis()
    const start = startTestApp({ REDIS_URL: server.url, WRITE_MODE: 'behind' })
    await expect(start).rejects.toThrow(ConfigError)
    await expect(start).rejects.toThrow(/WRITE_MODE=behind .*appendonly no/)
  })

  it.each([
    ['appendfsync no', { appendonly: true, appendfsync: 'no' }],
    ['an evicting maxmemory-policy', { appendonly: true, extraArgs: evicting() }],
  ] as const)('declines it on a Redis with %s', async (_, options) => {
    const t = await appOn((await ownRedis(options)).url)
    expect((await patchLater(t.app, 1, { name: 'at once' })).statusCode).toBe(200)
  })

  it('defers on a Redis with an append-only file', async () => {
    const t = await appOn((await ownRedis({ appendonly: true })).url)
    const response = await patchLater(t.app, 1, { name: 'deferred' })
    expect(response.statusCode).toBe(202)
    expect(response.headers['preference-applied']).toBe('respond-async')
  })

  it.each([
    [undefined, 200],
    ['none', 200],
    ['aof', 202],
  ] as const)(
    'where CONFIG is refused (managed Redis), trusts REDIS_PERSISTENCE=%s: %i',
    async (declared, status) => {
      const server = await ownRedis({
        appendonly: true,
        extraArgs: ['--rename-command', 'CONFIG', ''],
      })
      const t = await appOn(server.url, declared ? { REDIS_PERSISTENCE: declared } : {})
      expect((await patchLater(t.app, 1, { name: 'maybe later' })).statusCode).toBe(status)
    },
  )

  it('reads the settings again on every reconnect', async () => {
    const server = await ownRedis({ appendonly: true })
    const t = await appOn(server.url)
    expect((await patchLater(t.app, 1, { name: 'deferred' })).statusCode).toBe(202)

    // The operator turns the AOF off; the connections drop and come back (as after a failover).
    const admin = new Redis(server.url)
    onTestFinished(() => void admin.disconnect())
    await admin.config('SET', 'appendonly', 'no')
    await admin.client('KILL', 'TYPE', 'normal')
    const started = performance.now()
    await expect
      .poll(async () => (await patchLater(t.app, 2, { name: 'at once' })).statusCode === 200, POLL)
      .toBe(true)
    const waited = performance.now() - started
    console.info(
      `a reconnect to a Redis without AOF declined deferral ${Math.round(waited)} ms later`,
    )
    expect((await rowOf(t.app, 2)).name).toBe('at once')
  })
})

function evicting(): string[] {
  return ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']
}
