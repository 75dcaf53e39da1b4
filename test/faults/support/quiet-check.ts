import { rowOf } from '../../worker/write-behind-support.js'
import {
  type CatalogModel,
  describeProduct,
  LIST_PAGE_URL,
  type ModelProduct,
  modelOf,
  PRODUCT_IDS,
  pick,
  sameProduct,
} from './catalog-model.js'
import type { Figures } from './figures.js'
import { drain, type ModelSystem, msUntil } from './model-system.js'

/**
 * How long the worker may take to persist what is still staged once the commands are done: a
 * job that failed in a stall is retried after 0.5 s, 1 s, 2 s… (the queue's backoff).
 */
const DRAIN_MS = 10_000
/** How long every instance may take to serve the model's values once the database has them. */
const CONVERGE_MS = 5_000

/**
 * Once things are quiet (no command running, the worker drained), checks that (1) every
 * acknowledged write is in the database, and (2) every instance serves it, on a product read
 * and on the list page, within CONVERGE_MS. Answers what was wrong, in words; empty if nothing.
 */
export async function quietCheck(
  system: ModelSystem,
  model: CatalogModel,
  figures: Figures,
): Promise<string[]> {
  const problems: string[] = []
  const drainedAfter = await drain(system, DRAIN_MS)
  if (drainedAfter === undefined) {
    const pending = [...(await system.pendingVersions())].map(([id, v]) => `#${id} v${v}`)
    problems.push(`not drained within ${DRAIN_MS} ms: still pending [${pending.join(', ')}]`)
  } else figures.time('drain once quiet', drainedAfter)

  const [first] = system.apps
  if (first === undefined) throw new Error('a system needs an API instance')
  for (const id of PRODUCT_IDS) {
    const row = pick(await rowOf(first, id))
    const expected = modelOf(model, id)
    if (!sameProduct(row, expected)) {
      problems.push(
        `database #${id}: ${describeProduct(row)}, but the last ack was ${describeProduct(expected)}`,
      )
    }
  }

  // A read serves what the database holds: no use waiting for the model's values then.
  if (problems.length > 0) return problems

  // Every read polled at once: a check that fails costs CONVERGE_MS, not that times each read.
  const reads = system.apps.flatMap((app, instance) => [
    ...PRODUCT_IDS.map(async (id) => {
      const expected = modelOf(model, id)
      let served: ModelProduct | undefined
      const took = await msUntil(async () => {
        const response = await app.inject(`/products/${id}`)
        served = response.statusCode === 200 ? pick(response.json().data) : undefined
        return served !== undefined && sameProduct(served, expected)
      }, CONVERGE_MS)
      if (took !== undefined) return figures.time('product reads converged', took)
      problems.push(
        `instance ${instance} read #${id}: ${describeProduct(served)} after ${CONVERGE_MS} ms, ` +
          `expected ${describeProduct(expected)}`,
      )
    }),
    (async () => {
      let listed: ModelProduct[] = []
      const took = await msUntil(async () => {
        const response = await app.inject(LIST_PAGE_URL)
        listed = response.statusCode === 200 ? response.json().items.map(pick) : []
        return PRODUCT_IDS.every((id, index) => {
          const item = listed[index]
          return item !== undefined && sameProduct(item, modelOf(model, id))
        })
      }, CONVERGE_MS)
      if (took !== undefined) return figures.time('list pages converged', took)
      const wrong = PRODUCT_IDS.flatMap((id, index) => {
        const item = listed[index]
        const expected = modelOf(model, id)
        if (item !== undefined && sameProduct(item, expected)) return []
        return [`#${id} ${describeProduct(item)} (expected ${describeProduct(expected)})`]
      })
      problems.push(`instance ${instance} list page after ${CONVERGE_MS} ms: ${wrong.join('; ')}`)
    })(),
  ])
  await Promise.all(reads)
  return problems
}
