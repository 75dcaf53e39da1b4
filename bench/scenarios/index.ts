import type { ScenarioName } from '../cli-options.js'
import { batch } from './batch.js'
import { consistencyCost } from './consistency-cost.js'
import { expiry } from './expiry.js'
import { hotKey } from './hot-key.js'
import { library } from './library.js'
import { readWriteMix } from './read-write-mix.js'
import { redisOutage } from './redis-outage.js'
import type { Scenario } from './scenario.js'
import { stampede } from './stampede.js'
import { zipf } from './zipf.js'

/** Every scenario, by the name `--scenario` takes; a full run goes through them in this order. */
export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'hot-key': hotKey,
  zipf,
  stampede,
  expiry,
  'read-write-mix': readWriteMix,
  'redis-outage': redisOutage,
  library,
  batch,
  'consistency-cost': consistencyCost,
}
