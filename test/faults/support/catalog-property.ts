import fc from 'fast-check'
import type { RedisServer } from '../../support/redis.js'
import { rowOf } from '../../worker/write-behind-support.js'
import { catalogCommands, PauseWorker, type Trial } from './catalog-commands.js'
import {
  type CatalogModel,
  newModel,
  PRODUCT_IDS,
  type RefusedDeferredWrites,
} from './catalog-model.js'
import type { Figures } from './figures.js'
import { startModelSystem } from './model-system.js'
import { quietCheck } from './quiet-check.js'

/** Two API instances: enough for one to hear of another's writes only through Redis. */
export const INSTANCES = 2
/** Commands per run: enough for a write, a fault and a read of it to meet. */
export const MAX_COMMANDS = 12

/**
 * The production command timeout (100 ms): the stalls (100–800 ms) outlast it, so calls time
 * out while Redis still runs them after the stall, which is what a stall does in production.
 */
const BASE_ENV = { REDIS_COMMAND_TIMEOUT_MS: '100' }

export interface RunOptions {
  /** UNSAFE_DISABLE_PROTECTIONS and the like, on every app. */
  env?: Record<string, string>
  /** @default 'changes-nothing' */
  refusedDeferredWrites?: RefusedDeferredWrites
  /** The worker starts paused (a backlog): deferred writes stay staged until it resumes. */
  workerPaused?: boolean
}

/**
 * Runs `commands` against a fresh system (its own database and key prefix on `server`), then
 * checks it once quiet. Throws what a command found wrong on the way (a status that no fault
 * explains, an acknowledgement that goes backwards) and what the quiet check found.
 */
export async function runCommands(
  server: RedisServer,
  commands: Iterable<fc.AsyncCommand<CatalogModel, Trial>>,
  figures: Figures,
  { env = {}, workerPaused = false, refusedDeferredWrites = 'changes-nothing' }: RunOptions = {},
): Promise<void> {
  const started = performance.now()
  const system = await startModelSystem(INSTANCES, { ...BASE_ENV, ...env, REDIS_URL: server.url })
  figures.time('start a system', performance.now() - started)
  try {
    const [first] = system.apps
    if (first === undefined) throw new Error('a system needs an API instance')
    const rows = await Promise.all(PRODUCT_IDS.map((id) => rowOf(first, id)))
    const model = newModel(rows, refusedDeferredWrites)
    if (workerPaused) await new PauseWorker().run(model, { system, figures })
    const ran = performance.now()
    await fc.asyncModelRun(() => ({ model, real: { system, figures } }), commands)
    figures.time('run the commands', performance.now() - ran)
    const checked = performance.now()
    const problems = await quietCheck(system, model, figures)
    figures.time('quiet check', performance.now() - checked)
    if (problems.length > 0) throw new Error(`once quiet:\n  ${problems.join('\n  ')}`)
  } finally {
    await system.admin.ping().catch(() => {}) // answered once the last stall is over
    await system.close()
    figures.time('a whole run', performance.now() - started)
  }
}

/** The property: any sequence of commands leaves every acknowledged write stored and served. */
export function catalogProperty(
  server: RedisServer,
  figures: Figures,
  options: Omit<RunOptions, 'workerPaused'> = {},
) {
  return fc.asyncProperty(
    fc.boolean(),
    fc.commands(catalogCommands(INSTANCES), { maxCommands: MAX_COMMANDS, size: 'max' }),
    (workerPaused, commands) =>
      runCommands(server, commands, figures, { ...options, workerPaused }),
  )
}
