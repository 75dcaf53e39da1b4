import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../support/redis.js'
import {
  FlushRedis,
  PatchProduct,
  PauseWorker,
  ReadListPage,
  ReadProduct,
  StallThen,
  type WriteSpec,
} from './support/catalog-commands.js'
import type { RefusedDeferredWrites } from './support/catalog-model.js'
import { catalogProperty, runCommands } from './support/catalog-property.js'
import { Figures } from './support/figures.js'

// Random sequences of reads, writes (synchronous and deferred), invalidations, key version bumps,
// Redis stalls and flushes on 2 API instances and a worker, checked against a plain model of the
// database once quiet. The commands and checks live in ./support (catalog-commands.ts,
// quiet-check.ts). By hand:
//   MODEL_RUNS=200 MODEL_TIME_LIMIT_MS=600000   a longer search;
//   MODEL_UNSAFE=hold-refusal                   any UNSAFE_DISABLE_PROTECTIONS list;
//   MODEL_REFUSED_DEFERRED_WRITES=may-be-staged treat a deferred write's 503 as maybe staged
//                                               (what it says when Redis is silent for 3 s).

const NUM_RUNS = Number(process.env.MODEL_RUNS ?? 25)
/**
 * Stops the search, shrinking included, there: a failure is reported with its smallest case so
 * far. 25 runs took 35–55 s on 2 busy cores; shrinking a failure takes the rest.
 */
const TIME_LIMIT_MS = Number(process.env.MODEL_TIME_LIMIT_MS ?? 60_000)

/** MODEL_REFUSED_DEFERRED_WRITES=may-be-staged: see RefusedDeferredWrites. */
function refusedDeferredWrites(): RefusedDeferredWrites {
  return process.env.MODEL_REFUSED_DEFERRED_WRITES === 'may-be-staged'
    ? 'may-be-staged'
    : 'changes-nothing'
}

/** A deferred (Prefer: respond-async) or synchronous PATCH of product `id` on `instance`. */
const deferred = (id: number, instance = 0): WriteSpec => ({ instance, id, mode: 'deferred' })
const sync = (id: number, instance = 0): WriteSpec => ({ instance, id, mode: 'sync' })
const patch = (write: WriteSpec) => new PatchProduct(write, 'none')

let server: RedisServer
beforeAll(async () => {
  // Its own Redis, as the flushes wipe it; persistent, as the service defers writes only then.
  server = await startRedisServer({ appendonly: true, appendfsync: 'always' })
})
afterAll(() => server?.dispose())

describe('a model of the catalog through Redis stalls and flushes, on 2 instances and a worker', () => {
  it(
    'stores every acknowledged write, and every instance serves it once quiet',
    async () => {
      const figures = new Figures()
      const started = performance.now()
      const unsafe = process.env.MODEL_UNSAFE
      const env: Record<string, string> = unsafe ? { UNSAFE_DISABLE_PROTECTIONS: unsafe } : {}
      const options = { env, refusedDeferredWrites: refusedDeferredWrites() }
      const details = await fc.check(catalogProperty(server, figures, options), {
        numRuns: NUM_RUNS,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
      })
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      // Interrupted without a failure passes: said here, as fewer runs searched less.
      const cut = details.interrupted ? `, cut at ${TIME_LIMIT_MS / 1000} s` : ''
      console.info(
        `model: ${details.numRuns} of ${NUM_RUNS} runs${cut}, ${details.numShrinks} shrinks, ` +
          `${seconds} s\n${figures.summary()}`,
      )
      if (details.failed) throw new Error(fc.defaultReportMessage(details))
    },
    TIME_LIMIT_MS + 60_000,
  )
})

/**
 * Found by the property (and fixed): a deferred write whose staging script timed out on the
 * client (100 ms) in a stall was answered 503, but Redis ran the script when the stall ended: on
 * a product with a write still pending, the refused write was staged on top of it, with no job
 * of its own, served by every instance and persisted by the other write's job: a 503 that
 * changed the product, and took a version. Now the writer asks for the write's receipt until
 * Redis answers, and answers by what the script did.
 */
describe('counterexample: a deferred write refused (503) in a stall', () => {
  it('is neither served nor persisted (as fast-check shrank it, replayed 5 times)', async () => {
    // It needs the worker still persisting the first write when the stall begins: about one
    // replay in two on this machine, so a few replays.
    for (let replay = 0; replay < 5; replay++) {
      await runCommands(
        server,
        [patch(deferred(1, 0)), new StallThen(127, patch(deferred(1, 1))), new ReadProduct(1, 1)],
        new Figures(),
      )
    }
  })

  it('is neither served nor persisted (the worker paused: every time)', async () => {
    await runCommands(
      server,
      [
        new PauseWorker(), // the first write stays pending, as behind a busy worker
        patch(deferred(1, 0)),
        new StallThen(500, patch(deferred(1, 1))),
        new ReadProduct(1, 1),
      ],
      new Figures(),
    )
  })
})

/** Sequences the checks must catch with a protection off, and pass with it on. */
const CONTROLS = [
  {
    protections: 'hold-refusal',
    // A synchronous write that cannot take its hold in the stall writes around the staged write.
    commands: () => [new PauseWorker(), patch(deferred(1)), new StallThen(500, patch(sync(1, 1)))],
    caught: /one repeated is a write lost/,
  },
  {
    protections: 'tag-floor,reset-detection',
    // The flush loses the list pages' tag version: the next write counts it from 1 again, no
    // newer than the page instance 1 keeps in L1 (stamped 1), which then stays current.
    commands: () => [patch(sync(1)), new ReadListPage(1), new FlushRedis(), patch(sync(2))],
    caught: /instance 1 list page/,
  },
]

describe.each(CONTROLS)('control: $protections', ({ protections, commands, caught }) => {
  it('passes with every protection on', async () => {
    await runCommands(server, commands(), new Figures())
  })

  it('fails with it off', async () => {
    const env = { UNSAFE_DISABLE_PROTECTIONS: protections }
    await expect(runCommands(server, commands(), new Figures(), { env })).rejects.toThrow(caught)
  })
})
