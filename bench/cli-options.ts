import { parseArgs } from 'node:util'

export const SCENARIO_NAMES = [
  'hot-key',
  'zipf',
  'stampede',
  'expiry',
  'read-write-mix',
  'redis-outage',
  'library',
  'batch',
  'consistency-cost',
] as const
export type ScenarioName = (typeof SCENARIO_NAMES)[number]

/** Where the service's Redis is: the shared one, or also a Redis Cluster the bench starts. */
export const TOPOLOGIES = ['standalone', 'cluster'] as const
export type Topology = (typeof TOPOLOGIES)[number]

/**
 * The scenarios that `--topology cluster` runs on the Redis Cluster as well, beside the same
 * targets on the one Redis; the others run on the one Redis only, as without the flag.
 */
export const CLUSTER_SCENARIOS: readonly ScenarioName[] = ['hot-key', 'stampede']

export interface BenchOptions {
  scenarios: ScenarioName[]
  /** A short smoke run (CI): one round of short runs; checks the harness, not the numbers. */
  quick: boolean
  /** Interleaved rounds per scenario; undefined: the scenario's default for the mode. */
  rounds: number | undefined
  /** Start every process under test with `node --cpu-prof`, profiles in bench/results/. */
  cpuProf: boolean
  /**
   * standalone: everything on the shared Redis. cluster: the CLUSTER_SCENARIOS also measure
   * their service targets on a Redis Cluster of the bench's own (3 masters, 3 replicas).
   */
  topology: Topology
  /** Where the JSON and HTML go. */
  outDir: string
  help: boolean
}

export const USAGE = `Usage: npm run bench -- [options]

  --scenario <name>   run one scenario (repeat for several): ${SCENARIO_NAMES.join(', ')}
  --quick             a short smoke run (one short round per scenario, ~2.5 minutes)
  --rounds <n>        interleaved rounds per scenario (default 5 for throughput, 3 for expiry)
  --topology <t>      standalone (default), or cluster: also measure ${CLUSTER_SCENARIOS.join(' and ')}
                      on a Redis Cluster the bench starts (3 masters + 3 replicas), as a ratio
                      to the same targets on the one Redis in the same run; the other scenarios
                      run on the one Redis only
  --cpu-prof          run every server under test with node --cpu-prof (profiles beside the report)
  --out <dir>         where to write <timestamp>.json and .html (default bench/results)
  -h, --help          this text

Needs Redis on REDIS_URL (default redis://127.0.0.1:6379) and redis-server on the PATH
(with --topology cluster, redis-server and redis-cli 7 or later).`

/** Parses argv (without node and the script); throws an Error with a message for bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      topology: { type: 'string', default: 'standalone' },
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
  const topology = values.topology
  if (!(TOPOLOGIES as readonly string[]).includes(topology)) {
    throw new Error(`unknown --topology "${topology}"; known: ${TOPOLOGIES.join(', ')}`)
  }
  if (topology === 'cluster' && !scenarios.some((name) => isClusterScenario(name))) {
    throw new Error(
      `--topology cluster measures ${CLUSTER_SCENARIOS.join(' and ')} only, and neither is ` +
        `among the scenarios asked for (${[...new Set(scenarios)].join(', ')})`,
    )
  }
  return {
    scenarios: [...new Set(scenarios)] as ScenarioName[],
    quick: values.quick,
    rounds,
    topology: topology as Topology,
    cpuProf: values['cpu-prof'],
    outDir: values.out,
    help: values.help,
  }
}

/** Whether `--topology cluster` measures this scenario on the Redis Cluster too. */
export function isClusterScenario(name: string): boolean {
  return (CLUSTER_SCENARIOS as readonly string[]).includes(name)
}
