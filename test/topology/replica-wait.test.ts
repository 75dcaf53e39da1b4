import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js'
import {
  type RedisNode,
  redisCommand,
  redisInfo,
  startRedisNode,
} from '../support/redis-process.js'
import { patchLater, pendingWrites, rowOf } from '../worker/write-behind-support.js'

// Redis replicates asynchronously: a deferred write acknowledged by a master that dies a moment
// later is gone with it, unless a replica had it. So a 202 waits for WAIT to say a replica has
// the staged state (WRITE_BEHIND_MIN_REPLICAS, 1 by default once Redis has shown a replica).
// Here the replica's link to its master goes through a proxy the test can cut; promoting the
// replica (REPLICAOF NO ONE) is what a failover would do, and shows what the replica had.
// (A cut link is healed before the servers stop: Redis 7 makes a stopping master wait up to
// 10 s for lagging replicas.)

interface Replicated {
  master: RedisNode
  replicaPort: number
  link: FaultProxy
}

async function masterWithReplica(): Promise<Replicated> {
  const master = await startRedisNode(() => [], { appendonly: true })
  onTestFinished(() => master.dispose())
  const link = await startFaultProxy({ targetPort: master.port })
  onTestFinished(() => link.close())
  const replica = await startRedisNode(() => ['--replicaof', '127.0.0.1', String(link.port)], {
    appendonly: true,
  })
  onTestFinished(() => replica.dispose())
  await expect
    .poll(async () => (await redisInfo(master.port, 'replication')).get('connected_slaves'), {
      timeout: 10_000,
      interval: 50,
      message: 'the replica syncs',
    })
    .toBe('1')
  return { master, replicaPort: replica.port, link }
}

/** What the replica would serve as a new master: the product's staged state, if it has one. */
async function stagedOnReplica(t: TestApp, replicaPort: number, id: number) {
  const key = pendingWrites(t.app, t.config).keyOf(id)
  const state = await redisCommand(replicaPort, 'HGET', key, 'state')
  return state === null ? undefined : JSON.parse(String(state))
}

describe('write-behind on a master with a replica', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('acknowledges a deferred write once the replica has it', async () => {
    const { master, replicaPort } = await masterWithReplica()
    // A generous wait: on a busy 2-core machine a replica's ack can take longer than 500 ms.
    t = await startTestApp({ REDIS_URL: master.url, WRITE_BEHIND_REPLICA_WAIT_MS: '5000' })
    const response = await patchLater(t.app, 1, { stock: 4242 })
    expect(response.statusCode).toBe(202)
    // At once, no waiting: WAIT said the replica had it before the 202 went out.
    expect(await stagedOnReplica(t, replicaPort, 1)).toMatchObject({ stock: 4242 })
  })

  it('applies it synchronously instead when the replica does not confirm in time', async () => {
    const { master, replicaPort, link } = await masterWithReplica()
    t = await startTestApp({ REDIS_URL: master.url, WRITE_BEHIND_REPLICA_WAIT_MS: '300' })
    link.blackhole() // replication stalls; the master goes on
    onTestFinished(() => link.heal())
    const started = performance.now()
    const response = await patchLater(t.app, 1, { stock: 4343 })
    const tookMs = Math.round(performance.now() - started)
    expect(response.statusCode).toBe(200) // not a 202: it is in the database already
    expect(response.headers['preference-applied']).toBeUndefined()
    expect((await rowOf(t.app, 1)).stock).toBe(4343)
    expect(await stagedOnReplica(t, replicaPort, 1)).toBeUndefined()
    console.info(`replica silent: the deferred write was applied synchronously after ${tookMs} ms`)
    expect(tookMs).toBeGreaterThanOrEqual(300)
  })

  it('loses it in a failover with WRITE_BEHIND_MIN_REPLICAS=0 (what the wait prevents)', async () => {
    const { master, replicaPort, link } = await masterWithReplica()
    t = await startTestApp({ REDIS_URL: master.url, WRITE_BEHIND_MIN_REPLICAS: '0' })
    link.blackhole()
    onTestFinished(() => link.heal())
    const response = await patchLater(t.app, 1, { stock: 4444 })
    expect(response.statusCode).toBe(202) // acknowledged on the master alone
    // The master dies now; the replica is promoted, as Sentinel or the Cluster would.
    await master.server.kill()
    await redisCommand(replicaPort, 'REPLICAOF', 'NO', 'ONE')
    expect(await stagedOnReplica(t, replicaPort, 1)).toBeUndefined() // the 202'd write is gone
    expect((await rowOf(t.app, 1)).stock).not.toBe(4444)
  })
})
