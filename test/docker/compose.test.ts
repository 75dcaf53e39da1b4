import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDockerfile, parseEnv } from './support/dockerfile.js'
import { type PrometheusServer, startPrometheus } from './support/prometheus-server.js'
import { composeCommand, toolAvailable } from './support/tools.js'

const DOCKER = new URL('../../docker/', import.meta.url).pathname
const COMPOSE_FILE = `${DOCKER}compose.yaml`
const EXPECTED_SERVICES = ['api-1', 'api-2', 'grafana', 'postgres', 'prometheus', 'redis', 'worker']

const compose = composeCommand()

function composeConfig(...args: string[]): string {
  const [command = '', ...base] = compose ?? []
  return execFileSync(command, [...base, '-f', COMPOSE_FILE, 'config', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/**
 * The services that build this repository's image, read from the normalized output of
 * `compose config` (every service at two spaces, its keys at four, in v1 and v2 alike).
 */
function servicesThatBuild(normalized: string): string[] {
  const lines = normalized.split('\n')
  const start = lines.indexOf('services:')
  const building: string[] = []
  let service: string | undefined
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break // the next top-level key
    const name = /^ {2}([\w.-]+):$/.exec(line)?.[1]
    if (name) service = name
    else if (service && /^ {4}build:/.test(line)) building.push(service)
  }
  return building.sort()
}

/** The port the image listens on: its final stage's ENV PORT. */
function imagePort(): string {
  const final = parseDockerfile(readFileSync(`${DOCKER}Dockerfile`, 'utf8')).at(-1)
  const env = Object.assign(
    {},
    ...(final?.instructions ?? [])
      .filter((it) => it.keyword === 'ENV')
      .map((it) => parseEnv(it.args)),
  ) as Record<string, string>
  return env.PORT ?? '8000'
}

describe.skipIf(!compose)('docker/compose.yaml', () => {
  it('parses', () => {
    expect(() => composeConfig('--quiet')).not.toThrow()
  })

  it('names every service of the stack', () => {
    expect(composeConfig('--services').trim().split('\n').sort()).toEqual(EXPECTED_SERVICES)
  })

  it('runs two API instances and a worker from the repository’s image', () => {
    expect(servicesThatBuild(composeConfig())).toEqual(['api-1', 'api-2', 'worker'])
  })

  it('mounts only files that exist in the repository', () => {
    const config = composeConfig()
    const sources = [
      ...config.matchAll(/^\s+- (\/[^:\n]+):/gm), // v1: short syntax, absolute source
      ...config.matchAll(/^\s+source: (\/\S+)$/gm), // v2: long syntax
    ].map((match) => match[1] as string)
    expect(sources.length).toBeGreaterThanOrEqual(3)
    for (const source of sources) expect(existsSync(source), source).toBe(true)
  })
})

describe.skipIf(!compose || !toolAvailable('prometheus'))(
  'docker/prometheus.yml, loaded by a real Prometheus',
  () => {
    let prometheus: PrometheusServer
    beforeAll(async () => {
      prometheus = await startPrometheus(readFileSync(`${DOCKER}prometheus.yml`, 'utf8'))
    })
    afterAll(async () => {
      await prometheus?.stop()
    })

    it('scrapes every API and worker service of the compose file, on the image’s port', async () => {
      const expected = servicesThatBuild(composeConfig()).map((name) => `${name}:${imagePort()}`)
      // Static targets are listed once discovery has synced (within ~5 s), up or not.
      let instances: string[] = []
      const deadline = Date.now() + 15_000
      while (instances.length < expected.length && Date.now() < deadline) {
        instances = (await prometheus.activeTargets()).map((it) => it.labels.instance ?? '').sort()
        if (instances.length < expected.length) await new Promise((r) => setTimeout(r, 200))
      }
      expect(instances).toEqual(expected)
    })
  },
)
