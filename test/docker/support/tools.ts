import { spawnSync } from 'node:child_process'

/** Debian's packages that give the tools these tests run; .ci/run installs them. */
const PACKAGE_OF: Record<string, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'docker-compose': 'docker-compose',
}

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 })
  return result.error === undefined && result.status === 0
}

/**
 * Whether `tool` can be run. Outside CI a missing tool skips its tests with a message saying
 * how to get it; with CI=true it fails them instead, so a broken install never passes silently.
 */
export function toolAvailable(tool: string, versionArgs: string[] = ['--version']): boolean {
  if (runs(tool, versionArgs)) return true
  const install = `apt-get install ${PACKAGE_OF[tool] ?? tool}`
  if (process.env.CI === 'true') {
    throw new Error(`${tool} is missing; with CI=true its tests must run (${install})`)
  }
  console.warn(`${tool} not found: its tests in test/docker are skipped (${install})`)
  return false
}

/**
 * The command that parses compose files: Compose v2 (`docker compose`) when the plugin is there,
 * else the standalone `docker-compose` (Debian's is v1, which validates and prints just as well).
 */
export function composeCommand(): string[] | undefined {
  if (runs('docker', ['compose', 'version'])) return ['docker', 'compose']
  return toolAvailable('docker-compose', ['version']) ? ['docker-compose'] : undefined
}
