import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'
import { keySlot } from '../support/key-slot.js'
import {
  idsPending,
  PATIENT_REDIS,
  POLL,
  patchLater,
  pendingWrites,
  startWorkerApp,
} from '../worker/write-behind-support.js'

/** Every Lua script of the service and its cache package, by the SHA1 ioredis sends it by (EVALSHA). */
function scriptsBySha(): Map<string, string> {
  const scripts = new Map<string, string>()
  for (const root of ['src', 'packages/cache/src']) {
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    for (const file of files.filter((name) => name.endsWith('.lua')).map((f) => `${root}/${f}`)) {
      const sha = createHash('sha1').update(readFileSync(file, 'utf8')).digest('hex')
      scripts.set(sha, file)
    }
  }
  return scripts
}

interface ScriptCall {
  script: string
  keys: string[]
}

/**
 * Records every script call any client of this process sends (ours, and the libraries': BullMQ's
 * and the rate limiter's are checked too) (EVALSHA, and EVAL when Redis lost
 * its script cache) with its keys, from under ioredis's own `sendCommand`.
 */
function recordScriptCalls(scripts: Map<string, string>): { calls: ScriptCall[]; stop(): void } {
  const calls: ScriptCall[] = []
  const original = Redis.prototype.sendCommand
  Redis.prototype.sendCommand = function (this: Redis, command, stream) {
    const name = command.name.toLowerCase()
    if (name === 'evalsha' || name === 'eval') {
      const [body, count, ...rest] = command.args.map(String)
      const sha = name === 'eval' ? createHash('sha1').update(String(body)).digest('hex') : body
      calls.push({
        script: scripts.get(String(sha)) ?? `unknown script ${sha}`,
        keys: rest.slice(0, Number(count)),
      })
    }
    return original.call(this, command, stream)
  }
  return { calls, stop: () => (Redis.prototype.sendCommand = original) }
}

/** What a user may set REDIS_KEY_PREFIX to (config.ts refuses `{` and `}`), odd ones included. */
const PREFIXES = ['', 'app:', 'tenant-7/', 'ü:', 'glob*?[x]\\:', 'with space:', 'x'.repeat(200)]

/** Every script with more than one key: the ones a slot could split. */
const MULTI_KEY_SCRIPTS = [
  'packages/cache/src/redis/acquire.lua',
  'packages/cache/src/redis/fill.lua',
  'packages/cache/src/redis/invalidate.lua',
  'src/write-behind/stage.lua',
  'src/write-behind/hold.lua',
  'src/write-behind/release.lua',
]

describe('Redis Cluster: every script call’s keys share one slot', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it.each(PREFIXES)('with REDIS_KEY_PREFIX=%j', async (prefix) => {
    const recording = recordScriptCalls(scriptsBySha())
    try {
      const started = await startTestApp({ ...PATIENT_REDIS, REDIS_KEY_PREFIX: prefix })
      t = started
      const worker = await startWorkerApp(started.config, started.app)
      try {
        const { app } = started
        const send = (method: 'GET' | 'PATCH' | 'DELETE' | 'POST', url: string, body?: object) =>
          app.inject({ method, url, headers: auth, ...(body ? { payload: body } : {}) })
        for (const url of ['/products/1', '/products/1', '/products?limit=5', '/products/999']) {
          expect((await send('GET', url)).statusCode).toBeLessThan(500)
        }
        expect((await send('PATCH', '/products/1', { stock: 5 })).statusCode).toBe(200)
        expect((await patchLater(app, 2, { stock: 6 })).statusCode).toBe(202)
        await expect
          .poll(
            async () => (await idsPending(pendingWrites(app, started.config))).length === 0,
            POLL,
          )
          .toBe(true)
        expect((await send('DELETE', '/products/cache/1')).statusCode).toBe(204)
        expect((await send('DELETE', '/cache/categories/books')).statusCode).toBe(204)
        expect((await send('POST', '/cache/version')).statusCode).toBe(200)
      } finally {
        await worker.close()
      }
    } finally {
      recording.stop()
    }

    const seen = new Set(recording.calls.map((call) => call.script))
    for (const script of MULTI_KEY_SCRIPTS) expect(seen, `${script} was called`).toContain(script)
    const split = recording.calls.filter(
      ({ keys }) => new Set(keys.map((key) => keySlot(key))).size > 1,
    )
    expect(split).toEqual([])
  })

  it('can fail: keys without a shared hash tag land on different slots', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'))
    expect(keySlot('foo')).toBe(12182) // the cluster spec's example
    expect(keySlot('product:1')).not.toBe(keySlot('product:2'))
  })
})
