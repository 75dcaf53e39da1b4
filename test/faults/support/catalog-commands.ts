import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { auth } from '../../support/app.js'
import { drained } from '../../worker/write-behind-support.js'
import {
  type CatalogModel,
  describeProduct,
  freshFields,
  LIST_PAGE_URL,
  type ModelProduct,
  modelOf,
  PRODUCT_IDS,
  pick,
  sameProduct,
} from './catalog-model.js'
import type { Figures } from './figures.js'
import { drain, type ModelSystem } from './model-system.js'

/** The system under test, and the figures its runs add to. */
export interface Trial {
  system: ModelSystem
  figures: Figures
}

type CatalogCommand = fc.AsyncCommand<CatalogModel, Trial>

/** How long a flush waits for the worker to persist every staged write first. */
const DRAIN_BEFORE_FLUSH_MS = 15_000

function appOf(trial: Trial, instance: number): FastifyInstance {
  const app = trial.system.apps[instance]
  if (app === undefined) throw new Error(`no instance ${instance}`)
  return app
}

function expectStatus(response: LightMyRequestResponse, allowed: number[], what: string) {
  expect(allowed, `${what} answered ${response.statusCode}: ${response.body}`).toContain(
    response.statusCode,
  )
}

/**
 * Checks a product a read served against the model. Never ahead of the last ack: commands run
 * one at a time, so no write is under way, and that would be a write never acknowledged.
 * Behind it is not asserted mid-run (other instances hear of a write ~ms later): counted.
 */
function checkServed(
  model: CatalogModel,
  trial: Trial,
  read: { instance: number; what: string },
  id: number,
  served: ModelProduct,
) {
  const expected = modelOf(model, id)
  const ahead =
    served.version > expected.version ||
    (served.version === expected.version && !sameProduct(served, expected))
  expect(
    ahead,
    `${read.what} served #${id} at ${describeProduct(served)}, a write never acknowledged: ` +
      `the last ack was ${describeProduct(expected)}`,
  ).toBe(false)
  if (served.version < expected.version) {
    const own = model.lastWriter.get(id) === read.instance
    trial.figures.count(`reads behind the last ack${own ? ', on the instance that took it' : ''}`)
  }
}

/** GET /products/:id on one instance. Any answer but 200 (or a 503 in a fault) is wrong. */
export class ReadProduct implements CatalogCommand {
  constructor(
    readonly instance: number,
    readonly id: number,
  ) {}
  check = () => true
  async run(model: CatalogModel, trial: Trial) {
    const response = await appOf(trial, this.instance).inject(`/products/${this.id}`)
    trial.figures.status('product read', response.statusCode)
    expectStatus(response, [200, 503], this.toString())
    if (response.statusCode !== 200) return
    const read = { instance: this.instance, what: this.toString() }
    checkServed(model, trial, read, this.id, pick(response.json().data))
  }
  toString = () => `read #${this.id} on ${this.instance}`
}

/** GET the list page that holds every product the test writes. */
export class ReadListPage implements CatalogCommand {
  constructor(readonly instance: number) {}
  check = () => true
  async run(model: CatalogModel, trial: Trial) {
    const response = await appOf(trial, this.instance).inject(LIST_PAGE_URL)
    trial.figures.status('list page read', response.statusCode)
    expectStatus(response, [200, 503], this.toString())
    if (response.statusCode !== 200) return
    const items: ModelProduct[] = response.json().items.map(pick)
    const read = { instance: this.instance, what: this.toString() }
    PRODUCT_IDS.forEach((id, index) => {
      const item = items[index]
      if (item !== undefined) checkServed(model, trial, read, id, item)
    })
  }
  toString = () => `list on ${this.instance}`
}

export type WriteMode = 'sync' | 'deferred'
/** No If-Match; If-Match with the model's version (must not be refused); with an older one. */
export type Precondition = 'none' | 'current' | 'stale'

export interface WriteSpec {
  instance: number
  id: number
  mode: WriteMode
}

/** Sends one PATCH of fresh values; answers the response and the fields it wrote. */
async function patch(
  model: CatalogModel,
  trial: Trial,
  { instance, id, mode }: WriteSpec,
  ifMatch?: number,
) {
  const fields = freshFields(model, id)
  const headers: Record<string, string> = { ...auth }
  if (mode === 'deferred') headers.prefer = 'respond-async'
  if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`
  const response = await appOf(trial, instance).inject({
    method: 'PATCH',
    url: `/products/${id}`,
    headers,
    payload: fields,
  })
  trial.figures.status(`${mode} write`, response.statusCode)
  if (mode === 'deferred' && response.statusCode === 200) trial.figures.count('deferral declined')
  return { response, fields }
}

/** A write's answers, refusals included: never a 500, nor a 412 without If-Match. */
function writeStatuses(mode: WriteMode): number[] {
  return mode === 'sync' ? [200, 503] : [202, 200, 503]
}

/** 200 for a synchronous write; 202, or 200 if the service declined to defer, for a deferred one. */
function acknowledged(mode: WriteMode, status: number): boolean {
  return status === 200 || (mode === 'deferred' && status === 202)
}

/** What an acknowledged write answered: the fields it wrote (its version is checked apart). */
function expectAcknowledgement(
  fields: { name: string; price_cents: number },
  response: LightMyRequestResponse,
  what: string,
): ModelProduct {
  const answered = pick(response.json())
  expect(answered, what).toMatchObject(fields)
  return answered
}

/**
 * Every write that changes a product takes its next version, so acks that do not take the next
 * versions say why: a version skipped went to a write that happened though it was refused (503,
 * 412), and one repeated is a write lost (two writes built on the same state).
 */
function versionSkipped(before: ModelProduct, versions: number[]): string {
  return (
    `acknowledged at ${versions.map((v) => `v${v}`).join(', ')} after the last ack ` +
    `(${describeProduct(before)}), not at the next ones: a version skipped went to a write ` +
    'refused (503, 412) yet made; one repeated is a write lost'
  )
}

/**
 * A deferred write answered 503, looked for as its answer advises when the model says it may
 * have been staged: once Redis answers again (the stall is over, so the staging call queued
 * before it has run), read the product; answers its state if it carries one of `written`.
 */
async function foundStaged(
  model: CatalogModel,
  trial: Trial,
  { id, mode }: WriteSpec,
  response: LightMyRequestResponse,
  written: Array<{ name: string }>,
): Promise<ModelProduct | undefined> {
  if (model.refusedDeferredWrites === 'changes-nothing') return undefined
  if (mode !== 'deferred' || response.statusCode !== 503) return undefined
  await trial.system.admin.ping()
  const state = await trial.system.stateOf(id)
  if (!written.some(({ name }) => name === state.name)) return undefined
  trial.figures.count('deferred writes answered 503 yet staged')
  return state
}

/** PATCH a product (name and price) on one instance, synchronously or deferred. */
export class PatchProduct implements CatalogCommand {
  constructor(
    readonly write: WriteSpec,
    readonly precondition: Precondition,
  ) {}
  check = () => true
  async run(model: CatalogModel, trial: Trial) {
    const { id, mode, instance } = this.write
    const before = modelOf(model, id)
    const ifMatch = {
      none: undefined,
      current: before.version,
      stale: before.version > 1 ? before.version - 1 : before.version + 1,
    }[this.precondition]
    const { response, fields } = await patch(model, trial, this.write, ifMatch)
    // If-Match with the version of the last ack must not be refused: it is the current one.
    const allowed = this.precondition === 'stale' ? [412, 503] : writeStatuses(mode)
    expectStatus(response, allowed, this.toString())
    const answered = acknowledged(mode, response.statusCode)
      ? expectAcknowledgement(fields, response, this.toString())
      : await foundStaged(model, trial, this.write, response, [fields])
    if (answered === undefined) return
    expect(answered.version, `${this}: ${versionSkipped(before, [answered.version])}`).toBe(
      before.version + 1,
    )
    model.products.set(id, answered)
    model.lastWriter.set(id, instance)
  }
  toString = () => {
    const { instance, id, mode } = this.write
    const condition = this.precondition === 'none' ? '' : ` if-match ${this.precondition}`
    return `${mode} patch #${id} on ${instance}${condition}`
  }
}

/**
 * Several writes at once, no If-Match. The acknowledged ones of a product take the next
 * versions, no two the same (one would be lost), and the highest is the product's new state.
 */
export class PatchAtOnce implements CatalogCommand {
  constructor(readonly writes: WriteSpec[]) {}
  check = () => true
  async run(model: CatalogModel, trial: Trial) {
    const before = new Map(PRODUCT_IDS.map((id) => [id as number, modelOf(model, id)]))
    const sent = await Promise.all(this.writes.map((write) => patch(model, trial, write)))
    const acks = new Map<number, Array<{ answered: ModelProduct; instance: number }>>()
    const ack = (id: number, answered: ModelProduct, instance: number) =>
      acks.set(id, [...(acks.get(id) ?? []), { answered, instance }])
    // Refused deferred writes per product, whose outcome is looked for once all have answered.
    type Refused = { write: WriteSpec; fields: { name: string }; response: LightMyRequestResponse }
    const refused = new Map<number, Refused[]>()
    sent.forEach(({ response, fields }, index) => {
      const write = this.writes[index] as WriteSpec
      const what = `${this.toString()}, write ${index + 1}`
      expectStatus(response, writeStatuses(write.mode), what)
      if (acknowledged(write.mode, response.statusCode)) {
        ack(write.id, expectAcknowledgement(fields, response, what), write.instance)
      } else if (write.mode === 'deferred' && response.statusCode === 503) {
        refused.set(write.id, [...(refused.get(write.id) ?? []), { write, fields, response }])
      }
    })
    // Under 'may-be-staged', the product's state may be one of them; the others may have taken a
    // version each, then been overwritten: unknown, so their versions may be skipped.
    const unknown = new Map<number, number>()
    for (const [id, list] of refused) {
      const [first] = list
      if (first === undefined) continue
      const written = list.map(({ fields }) => fields)
      const found = await foundStaged(model, trial, first.write, first.response, written)
      const foundOne = found === undefined ? 0 : 1
      if (found !== undefined) ack(id, found, first.write.instance)
      if (model.refusedDeferredWrites === 'may-be-staged') unknown.set(id, list.length - foundOne)
    }
    for (const [id, list] of acks) {
      // In any order, the acks of one product take the next versions, each its own.
      const versions = list.map(({ answered }) => answered.version).sort((a, b) => a - b)
      const start = (before.get(id) as ModelProduct).version
      const skippable = unknown.get(id) ?? 0
      const message = `${this}: #${id} ${versionSkipped(before.get(id) as ModelProduct, versions)}`
      if (skippable === 0) {
        expect(versions, message).toEqual(versions.map((_, index) => start + index + 1))
      } else {
        expect(new Set(versions).size, message).toBe(versions.length)
        expect(Math.min(...versions), message).toBeGreaterThan(start)
        expect(Math.max(...versions), message).toBeLessThanOrEqual(
          start + versions.length + skippable,
        )
      }
      const last = list.reduce((a, b) => (b.answered.version > a.answered.version ? b : a))
      model.products.set(id, last.answered)
      model.lastWriter.set(id, last.instance)
    }
  }
  toString = () =>
    `at once [${this.writes.map((w) => `${w.mode} patch #${w.id} on ${w.instance}`).join(', ')}]`
}

/** DELETE /products/cache/:id: drops the product's entry everywhere. */
export class InvalidateProduct implements CatalogCommand {
  constructor(
    readonly instance: number,
    readonly id: number,
  ) {}
  check = () => true
  async run(_model: CatalogModel, trial: Trial) {
    const response = await appOf(trial, this.instance).inject({
      method: 'DELETE',
      url: `/products/cache/${this.id}`,
      headers: auth,
    })
    trial.figures.status('invalidation', response.statusCode)
    expectStatus(response, [204, 503], this.toString())
  }
  toString = () => `invalidate #${this.id} on ${this.instance}`
}

/** POST /cache/version: every product key moves to a new version. */
export class BumpKeyVersion implements CatalogCommand {
  constructor(readonly instance: number) {}
  check = () => true
  async run(_model: CatalogModel, trial: Trial) {
    const response = await appOf(trial, this.instance).inject({
      method: 'POST',
      url: '/cache/version',
      headers: auth,
    })
    trial.figures.status('key version bump', response.statusCode)
    expectStatus(response, [200, 503], this.toString())
  }
  toString = () => `bump key version on ${this.instance}`
}

/**
 * Redis stops answering every client for `ms` (CLIENT PAUSE … ALL). Only the pause's OK is
 * awaited, not its end: the next commands run into it. (A pause issued during another waits
 * for that one's end, as the admin is paused too: back-to-back stalls add up.)
 */
export class StallRedis implements CatalogCommand {
  constructor(readonly ms: number) {}
  check = () => true
  async run(_model: CatalogModel, trial: Trial) {
    await trial.system.admin.call('CLIENT', 'PAUSE', String(this.ms), 'ALL')
    trial.figures.count('stalls')
  }
  toString = () => `stall ${this.ms} ms`
}

/**
 * The worker stops taking jobs (a backlog, a deploy): deferred writes stay staged meanwhile,
 * for stalls and other writes to meet them. Synchronous writes persist them first.
 */
export class PauseWorker implements CatalogCommand {
  check = (model: Readonly<CatalogModel>) => !model.workerPaused
  async run(model: CatalogModel, trial: Trial) {
    await workerOf(trial).pause(true)
    model.workerPaused = true
    trial.figures.count('worker pauses')
  }
  toString = () => 'pause the worker'
}

export class ResumeWorker implements CatalogCommand {
  check = (model: Readonly<CatalogModel>) => model.workerPaused
  async run(model: CatalogModel, trial: Trial) {
    workerOf(trial).resume()
    model.workerPaused = false
  }
  toString = () => 'resume the worker'
}

function workerOf(trial: Trial) {
  const { worker } = trial.system.worker
  if (worker === undefined) throw new Error('the worker app runs no worker')
  return worker
}

/**
 * FLUSHALL, once the worker has persisted every staged write. A flush destroys whatever Redis
 * holds, staged writes and queued jobs included, so after it the guarantee is "no stale read"
 * (every instance stops serving what it cached before), not "no loss": draining first keeps the
 * model (every acknowledged write is in the database) true, to check the first one alone.
 */
export class FlushRedis implements CatalogCommand {
  check = () => true
  async run(model: CatalogModel, trial: Trial) {
    const { system, figures } = trial
    const waited = await drain(system, DRAIN_BEFORE_FLUSH_MS)
    model.workerPaused = false
    if (waited === undefined) {
      const pending = await system.pendingVersions()
      const [app] = system.apps
      const stillPending = [...pending].map(([id, v]) => {
        const acked = model.products.get(id)?.version
        return `#${id} v${v} (last ack v${acked})`
      })
      const jobsLeft = app ? !(await drained(app, system.config)) : undefined
      throw new Error(
        `not drained within ${DRAIN_BEFORE_FLUSH_MS} ms before a flush: pending ` +
          `[${stillPending.join(', ')}], persist jobs left: ${jobsLeft}`,
      )
    }
    figures.time('drain before a flush', waited)
    await system.admin.flushall()
    figures.count('flushes')
  }
  toString = () => 'flush (after draining)'
}

/**
 * A command that runs into a stall: the stall begins, then the command runs. (Its own class, so
 * that a counterexample shrinks to the command alone when the stall does not matter.)
 */
export class StallThen implements CatalogCommand {
  constructor(
    readonly ms: number,
    readonly then: CatalogCommand,
  ) {}
  check = (model: Readonly<CatalogModel>) => this.then.check(model)
  async run(model: CatalogModel, trial: Trial) {
    await new StallRedis(this.ms).run(model, trial)
    await this.then.run(model, trial)
  }
  toString = () => `stall ${this.ms} ms, then ${this.then}`
}

/** Every command, with the weights of a run: mostly reads and writes, half of them in a stall. */
export function catalogCommands(instances: number): Array<fc.Arbitrary<CatalogCommand>> {
  const instance = fc.integer({ min: 0, max: instances - 1 })
  // One hot product, as real traffic has: writes, stalls and reads meet on it more often.
  const id = fc.oneof(fc.constant(PRODUCT_IDS[0]), fc.constantFrom(...PRODUCT_IDS))
  // Deferred writes twice as often: they are what a stall can leave staged.
  const mode = fc.constantFrom<WriteMode>('sync', 'deferred', 'deferred')
  const write = fc.record({ instance, id, mode })
  const precondition = fc.constantFrom<Precondition>('none', 'none', 'current', 'stale')
  const stallMs = fc.integer({ min: 100, max: 800 })
  const maybeInStall = (command: fc.Arbitrary<CatalogCommand>) =>
    fc
      .tuple(
        fc.oneof(
          { withCrossShrink: true },
          { weight: 1, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: stallMs },
        ),
        command,
      )
      .map(([ms, then]) => (ms === 0 ? then : new StallThen(ms, then)))
  const read = maybeInStall(fc.tuple(instance, id).map(([i, p]) => new ReadProduct(i, p)))
  const patchOne = maybeInStall(
    fc.tuple(write, precondition).map(([w, c]) => new PatchProduct(w, c)),
  )
  return [
    read,
    read,
    maybeInStall(instance.map((i) => new ReadListPage(i))),
    patchOne,
    patchOne,
    patchOne,
    maybeInStall(
      fc.array(write, { minLength: 2, maxLength: 3 }).map((writes) => new PatchAtOnce(writes)),
    ),
    maybeInStall(fc.tuple(instance, id).map(([i, p]) => new InvalidateProduct(i, p))),
    maybeInStall(instance.map((i) => new BumpKeyVersion(i))),
    stallMs.map((ms) => new StallRedis(ms)),
    fc.constant(new PauseWorker()),
    fc.constant(new ResumeWorker()),
    fc.constant(new FlushRedis()),
  ]
}
