/**
 * `npm run bench [-- --scenario <name>] [--quick] [--topology cluster]`: builds the service,
 * starts it (and the reference servers) as separate processes against the real Redis and a
 * seeded SQLite file, drives load with autocannon, and writes bench/results/<timestamp>.json
 * and .html. With --topology cluster it also starts a Redis Cluster of its own, and the hot-key
 * and stampede scenarios measure their service targets on it as well.
 * Every process it starts is stopped, and every key it wrote deleted, also on Ctrl-C.
 */
import { once } from 'node:events'
import { loadavg } from 'node:os'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ChildProcesses } from './child-processes.js'
import {
  type BenchOptions,
  CLUSTER_SCENARIOS,
  isClusterScenario,
  parseBenchOptions,
  USAGE,
} from './cli-options.js'
import { type BenchContext, closeBenchContext, openBenchContext } from './context.js'
import { machineInfo, sourceInfo } from './machine-info.js'
import { Progress } from './progress.js'
import { renderChecksTable, renderComparisonsTable } from './report/markdown-report.js'
import { writeReport } from './report/write-report.js'
import type { BenchResults, ScenarioResult } from './results.js'
import { SCENARIOS } from './scenarios/index.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  let options: BenchOptions
  try {
    options = parseBenchOptions(argv)
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (options.help) {
    console.log(USAGE)
    return 0
  }

  const progress = new Progress()
  const children = new ChildProcesses()
  const startedAt = new Date()
  let context: BenchContext | undefined
  let cleanup: Promise<{ deletedKeys: number; clusterKeys: number }> | undefined
  const cleanUp = () => {
    cleanup ??= context
      ? closeBenchContext(context)
      : Promise.resolve({ deletedKeys: 0, clusterKeys: 0 })
    return cleanup
  }
  // Ctrl-C or a kill: stop the children and delete the keys before going.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress.log(`${signal}: stopping ${children.count} process(es) and deleting the run's keys`)
      void cleanUp().finally(() => process.exit(130))
    })
  }
  process.once('exit', () => children.killAllNow())

  try {
    progress.log(
      `mode: ${options.quick ? 'quick' : 'full'}; topology: ${options.topology}; ` +
        `scenarios: ${options.scenarios.join(', ')}`,
    )
    await build(children, progress)
    context = await openBenchContext(options, repoRoot, progress, children)
    progress.log(`run ${context.runId}: ${context.products} products seeded in ${context.workDir}`)
    const machine = await machineInfo(context.redis)

    const scenarios: ScenarioResult[] = []
    const failures: BenchResults['failures'] = []
    for (const name of options.scenarios) {
      const scenario = SCENARIOS[name]
      progress.log(`── ${scenario.title} (${name}) ──`)
      try {
        const result = await scenario.run(context)
        if (options.topology === 'cluster' && !isClusterScenario(name)) {
          result.notes.push(
            `On the one Redis only: --topology cluster measures ${CLUSTER_SCENARIOS.join(' and ')} ` +
              'on the Redis Cluster; this scenario ran as without it.',
          )
        }
        scenarios.push(result)
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        failures.push({ scenario: name, error: message })
        progress.log(`${name} FAILED: ${message}`)
      }
    }

    const { cluster } = context
    const redisCluster = cluster && {
      masters: cluster.masters,
      replicas: cluster.masters * cluster.replicasPerMaster,
      redis: cluster.version,
      formedInMs: cluster.formedInMs,
    }
    const { deletedKeys, clusterKeys } = await cleanUp()
    const finishedAt = new Date()
    const results: BenchResults = {
      runId: context.runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
      mode: options.quick ? 'quick' : 'full',
      topology: options.topology,
      command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
      source: await sourceInfo(repoRoot),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100) },
      ...(redisCluster ? { redisCluster } : {}),
      scenarios,
      checks: scenarios.flatMap((scenario) => scenario.checks),
      comparisons: scenarios.flatMap((scenario) => scenario.comparisons ?? []),
      failures,
      cleanup: { deletedKeys, clusterKeys, processesLeft: children.count },
    }
    const files = await writeResults(options, results)
    console.log(`\n${renderChecksTable(results.checks)}\n`)
    if (results.comparisons?.length) {
      console.log(
        `Redis Cluster vs. one Redis:\n\n${renderComparisonsTable(results.comparisons)}\n`,
      )
    }
    progress.log(`wrote ${files.map((file) => relative(process.cwd(), file)).join(', ')}`)
    progress.log(
      `cleaned up: ${deletedKeys} Redis keys deleted` +
        `${cluster ? ` (${clusterKeys} on the Redis Cluster's masters)` : ''}, ` +
        `${children.count} process(es) left running`,
    )
    if (failures.length > 0) {
      progress.log(
        `${failures.length} scenario(s) failed: ${failures.map((f) => f.scenario).join(', ')}`,
      )
      return 1
    }
    return 0
  } finally {
    await cleanUp()
  }
}

/** `npm run build` once: the services run from dist/, as in production. */
async function build(children: ChildProcesses, progress: Progress): Promise<void> {
  progress.log('npm run build')
  const child = children.spawn('build', 'npm', ['run', 'build', '--silent'], { cwd: repoRoot })
  const [code] = await once(child.process, 'exit')
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${child.output()}`)
}

async function writeResults(options: BenchOptions, results: BenchResults): Promise<string[]> {
  return writeReport(resolve(repoRoot, options.outDir), results)
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(1)
  },
)
