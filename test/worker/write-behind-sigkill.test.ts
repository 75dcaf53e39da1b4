import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Product } from '../../src/catalog/product.js'
import type { Config } from '../../src/config.js'
import { PERSIST_PRODUCT_WRITE } from '../../src/queues/persist-product-write.js'
import { ADMIN_TOKEN } from '../support/app.js'
import { startCluster, type TestCluster } from '../support/cluster.js'
import { suiteRedisEnv } from '../support/topology.js'
import {
  drained,
  idsPending,
  PATIENT_REDIS,
  POLL,
  patchLater,
  pendingWrites,
  rowOf,
} from './write-behind-support.js'

const ENTRY = new URL('../../src/start/server.ts', import.meta.url).pathname
const PRODUCTS = [1, 2, 3, 4, 5, 6, 7, 8]
const WRITES = 400
const KILL_AFTER = 150
/** Short, so the killed worker's jobs run again within seconds (BullMQ's default: 30 s). */
const JOB_LOCK_MS = 2000

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** A real worker process (`ROLE=worker`) on the cluster's database, Redis keys and queue. */
async function startWorkerProcess(
  config: Config,
): Promise<{ child: ChildProcess; output(): string }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      ROLE: 'worker',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: config.DATABASE_URL,
      ...suiteRedisEnv(config.REDIS_URL),
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      ADMIN_TOKEN,
      JOB_LOCK_MS: String(JOB_LOCK_MS),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  await expect
    .poll(
      async () => {
        if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}:\n${output}`)
        return fetch(`http://127.0.0.1:${port}/health`).then(
          (response) => response.ok,
          () => false,
        )
      },
      { ...POLL, timeout: 20_000, interval: 100 },
    )
    .toBe(true)
  return { child, output: () => output }
}

describe('write-behind: a worker killed in the middle of a stream of writes', () => {
  let cluster: TestCluster
  const children: ChildProcess[] = []
  beforeAll(async () => {
    cluster = await startCluster(2, {
      ...PATIENT_REDIS,
      JOB_LOCK_MS: String(JOB_LOCK_MS),
    })
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await cluster?.close()
  })

  it('loses none of the acknowledged writes once a new worker runs', {
    timeout: 90_000,
  }, async () => {
    const { apps, config } = cluster
    const api = apps[0] as FastifyInstance
    const first = await startWorkerProcess(config)
    children.push(first.child)

    const lastAcknowledged = new Map<number, Product>()
    const acknowledged: Product[] = []
    let sent = 0
    // Products whose jobs the killed worker was running: written no more, so only the re-run of
    // those very jobs (once their lock lapses) can persist what they held.
    const orphaned = new Set<number>()
    let leftPending = 0
    /**
     * Freezes the worker (SIGSTOP) until it is caught holding persist jobs, notes their
     * products, then SIGKILLs it: the freeze only makes exact which jobs die with it.
     */
    const killAtWork = async (child: ChildProcess) => {
      for (let tries = 0; orphaned.size === 0 && tries < 500; tries++) {
        child.kill('SIGSTOP')
        for (const job of await api.queue.getActive()) {
          if (job.name === PERSIST_PRODUCT_WRITE) orphaned.add(job.data.productId)
        }
        if (orphaned.size === 0) {
          child.kill('SIGCONT')
          await sleep(1)
        }
      }
      child.kill('SIGKILL')
      await once(child, 'exit')
      const pending = pendingWrites(api, config)
      const stillPending = await idsPending(pending)
      leftPending += [...orphaned].filter((id) => stillPending.includes(id)).length
    }
    // Eight writers at a time, round robin over the products and the API instances.
    let next = 0
    const writer = async () => {
      while (next < WRITES) {
        const i = next++
        const id = PRODUCTS[i % PRODUCTS.length] as number
        if (orphaned.has(id)) continue
        const app = apps[i % apps.length] as FastifyInstance
        sent++
        const response = await patchLater(app, id, { stock: i, name: `Write ${i}` })
        expect(response.statusCode).toBe(202)
        const product: Product = response.json()
        acknowledged.push(product)
        const previous = lastAcknowledged.get(id)
        if (!previous || product.version > previous.version) lastAcknowledged.set(id, product)
        if (i === KILL_AFTER) await killAtWork(first.child)
        await sleep(2) // a stream, not a burst: the worker is busy throughout
      }
    }
    await Promise.all(Array.from({ length: 8 }, writer))
    expect(first.child.signalCode).toBe('SIGKILL')
    expect(orphaned.size).toBeGreaterThan(0) // it was killed at work

    const second = await startWorkerProcess(config)
    children.push(second.child)
    await expect
      .poll(() => drained(api, config), { ...POLL, timeout: 60_000, interval: 100 })
      .toBe(true)

    let lost = 0
    for (const [id, last] of lastAcknowledged) {
      const row = await rowOf(api, id)
      // A write is lost if the row never reached its version (coalescing may skip versions).
      lost += acknowledged.filter((write) => write.id === id && write.version > row.version).length
      expect(row).toMatchObject({ version: last.version, stock: last.stock, name: last.name })
    }
    console.log(
      `sent ${acknowledged.length} acknowledged writes, lost ${lost} (the killed worker was ` +
        `persisting products ${[...orphaned].join(', ')}, written no more after; ` +
        `${leftPending} of them still pending)`,
    )
    expect(acknowledged.length).toBe(sent)
    expect(lost).toBe(0)
    second.child.kill('SIGTERM')
    await once(second.child, 'exit')
  })
})
