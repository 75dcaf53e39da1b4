import { parseArgs } from 'node:util'

export const SCENARIO_NAMES = [
  'hot-key',
  'zipf',
  'stampede',
  'expiry',
  'read-write-mix',
  'redis-outage',
] as const
export type ScenarioName = (typeof SCENARIO_NAMES)[number]

export interface BenchOptions {
  scenarios: ScenarioName[]
  /** A short smoke run (CI): one round of short runs; checks the harness, not the numbers. */
  quick: boolean
  /** Interleaved rounds per scenario; undefined: the scenario's default for the mode. */
  rounds: number | undefined
  /** Start every process under test with `node --cpu-prof`, profiles in bench/results/. */
  cpuProf: boolean
  /** Where the JSON and HTML go. */
  outDir: string
  help: boolean
}

export const USAGE = `Usage: npm run bench -- [options]

  --scenario <name>   run one scenario (repeat for several): ${SCENARIO_NAMES.join(', ')}
  --quick             a short smoke run (one short round per scenario, ~1 minute)
  --rounds <n>        interleaved rounds per scenario (default 5 for throughput, 3 for expiry)
  --cpu-prof          run every server under test with node --cpu-prof (profiles beside the report)
  --out <dir>         where to write <timestamp>.json and .html (default bench/results)
  -h, --help          this text

Needs Redis on REDIS_URL (default redis://127.0.0.1:6379) and redis-server on the PATH.`

/** Parses argv (without node and the script); throws an Error with a message for bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  const scenarios = (values.scenario ?? [...SCENARIO_NAMES]).flatMap((name) => name.split(','))
  for (const name of scenarios) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`)
    }
  }
  let rounds: number | undefined
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds)
    if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) {
      throw new Error(`--rounds must be a whole number from 1 to 50, got "${values.rounds}"`)
    }
  }
  return {
    scenarios: [...new Set(scenarios)] as ScenarioName[],
    quick: values.quick,
    rounds,
    cpuProf: values['cpu-prof'],
    outDir: values.out,
    help: values.help,
  }
}
