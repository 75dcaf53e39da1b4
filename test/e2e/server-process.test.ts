import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { sqlite } from '../support/app.js'
import { deleteByPrefix, REDIS_URL, startRedisServer, uniquePrefix } from '../support/redis.js'

const ENTRY = new URL('../../src/start/server.ts', import.meta.url).pathname

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output }
}

describe('the server process (src/start/server.ts)', () => {
  const prefix = uniquePrefix()
  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    await deleteByPrefix(redis, prefix)
    await redis.quit()
  })

  it('migrates, seeds, serves MISS then HIT, and exits 0 on SIGTERM', async () => {
    const database = await sqlite.create()
    const port = await freePort()
    const server = startServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: prefix,
      SEED_PRODUCTS: '25',
    })
    try {
      const base = `http://127.0.0.1:${port}`
      await vi.waitFor(
        async () => {
          expect(server.child.exitCode, server.output()).toBeNull()
          expect((await fetch(`${base}/health`)).status).toBe(200)
        },
        { timeout: 15_000, interval: 100 },
      )
      const first = await fetch(`${base}/products/1`)
      expect(first.status).toBe(200)
      expect(first.headers.get('x-cache')).toBe('MISS')
      const second = await fetch(`${base}/products/1`)
      expect(second.headers.get('x-cache')).toBe('HIT')
      // ADMIN_TOKEN unset: one is generated and logged once.
      expect(server.output().match(/"adminToken"/g)).toHaveLength(1)

      server.child.kill('SIGTERM')
      const [code] = await once(server.child, 'exit')
      expect(code).toBe(0)
    } finally {
      server.child.kill('SIGKILL')
      await database.cleanup()
    }
  })

  it('refuses to start on a bad variable, naming it', async () => {
    const server = startServer({ PORT: 'eighty', CACHE_TTL_SECONDS: '-5' })
    const [code] = await once(server.child, 'exit')
    expect(code).toBe(1)
    expect(server.output()).toMatch(/PORT="eighty"/)
    expect(server.output()).toMatch(/CACHE_TTL_SECONDS="-5"/)
    expect(server.output()).not.toMatch(/at .*\.ts:\d+/) // a message, not a stack trace
  })
})

// BullMQ's worker.close() never resolves while its connection is reconnecting
// (taskforcesh/bullmq#4656): a process told to stop while Redis was gone waited out the whole
// SHUTDOWN_TIMEOUT_MS and exited 1, and every reconnect attempt printed a bare error on stderr.
describe.each([
  { protection: 'on', disable: '' },
  { protection: 'off', disable: 'shutdown-without-redis' },
])(
  'SIGTERM while Redis is gone (shutdown-without-redis $protection)',
  ({ protection, disable }) => {
    it(protection === 'on'
      ? 'exits 0 at once'
      : 'control: waits out the shutdown timeout', async () => {
      const redis = await startRedisServer()
      const database = await sqlite.create()
      const port = await freePort()
      const shutdownTimeoutMs = 5000
      const server = startServer({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        SEED_PRODUCTS: '5',
        SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
        ...(disable ? { UNSAFE_DISABLE_PROTECTIONS: disable } : {}),
      })
      try {
        const base = `http://127.0.0.1:${port}`
        await vi.waitFor(
          async () => {
            expect(server.child.exitCode, server.output()).toBeNull()
            expect((await fetch(`${base}/products/1`)).status).toBe(200)
          },
          { timeout: 15_000, interval: 100 },
        )
        await redis.kill()
        // The gate: the process has noticed (its bus reconnects and fails).
        await vi.waitFor(() => expect(server.output()).toMatch(/cache bus error/), {
          timeout: 10_000,
          interval: 50,
        })
        const signalled = performance.now()
        server.child.kill('SIGTERM')
        const [code] = await once(server.child, 'exit')
        const tookMs = Math.round(performance.now() - signalled)
        console.info(`shutdown-without-redis ${protection}: exit ${code} after ${tookMs} ms`)
        if (protection === 'on') {
          expect(code, server.output()).toBe(0)
          // BullMQ's own printing of the errors it was given no listener for.
          expect(server.output()).not.toMatch(/^Error: connect ECONNREFUSED/m)
        } else {
          expect(code).toBe(1) // "shutdown timed out: exiting now"
          expect(tookMs).toBeGreaterThanOrEqual(shutdownTimeoutMs - 100)
        }
      } finally {
        server.child.kill('SIGKILL')
        await redis.dispose()
        await database.cleanup()
      }
    }, 40_000)
  },
)
