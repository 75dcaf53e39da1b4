import type { Redis } from 'ioredis'
import { productEntryKey, type RunningTarget, type TargetSpec } from '../targets.js'

/** The targets most scenarios compare; a scenario adds its own variables with `withEnv`. */
export const REF_FASTIFY: TargetSpec = {
  id: 'ref-fastify',
  label: 'bare Fastify route (reference)',
  kind: 'ref-fastify',
}
export const REF_CONTRACT: TargetSpec = {
  id: 'ref-contract',
  label: "bare Fastify + the service's headers and logger (reference)",
  kind: 'ref-contract',
}
export const REF_IOREDIS: TargetSpec = {
  id: 'ref-ioredis',
  label: 'Fastify + ioredis GET (reference)',
  kind: 'ref-ioredis',
}
export const NONE: TargetSpec = {
  id: 'none',
  label: 'none (no cache)',
  kind: 'service',
  strategy: 'none',
}
export const NAIVE: TargetSpec = {
  id: 'naive',
  label: 'naive (cache-aside on Redis)',
  kind: 'service',
  strategy: 'naive',
}
export const FULL: TargetSpec = {
  id: 'full',
  label: 'full (L1 + L2 + leases + fencing + SWR)',
  kind: 'service',
  strategy: 'full',
}
export const FULL_L2_ONLY: TargetSpec = {
  id: 'full-l2',
  label: 'full, L1 off (every hit from Redis)',
  kind: 'service',
  strategy: 'full',
  env: { L1_MAX_ITEMS: '0' },
}

export function withEnv(spec: TargetSpec, env: Record<string, string>): TargetSpec {
  return { ...spec, env: { ...spec.env, ...env } }
}

/** Reads product `id` through the service once, so that its cache holds it. */
export async function warmProduct(target: RunningTarget, id: number): Promise<void> {
  for (const url of target.urls) {
    const response = await fetch(`${url}/products/${id}`, { signal: AbortSignal.timeout(10_000) })
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`${target.spec.id}: GET /products/${id} → ${response.status}`)
  }
}

/** The entry a full-strategy service stored in Redis for product `id`, as raw JSON. */
export async function storedEntry(
  redis: Redis,
  target: RunningTarget,
  id: number,
): Promise<string> {
  await warmProduct(target, id)
  const raw = await redis.get(productEntryKey(target, id))
  if (raw === null) throw new Error(`${target.spec.id} did not store product ${id} in Redis`)
  return raw
}

/**
 * Writes `entry` under the ioredis reference's key for each id 1..count (one pipeline per
 * 1,000), so the reference has as many keys to read as the service has products.
 */
export async function prefillReference(
  redis: Redis,
  reference: RunningTarget,
  entry: string,
  count: number,
): Promise<void> {
  for (let first = 1; first <= count; first += 1000) {
    const pipeline = redis.pipeline()
    for (let id = first; id < Math.min(count + 1, first + 1000); id++) {
      pipeline.set(`${reference.keyPrefix}${id}`, entry)
    }
    const replies = await pipeline.exec()
    const failed = replies?.find(([error]) => error !== null)
    if (failed) throw failed[0]
  }
}
