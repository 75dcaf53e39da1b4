import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadConfig } from '../../src/config.js'
import { redisTarget } from '../../src/redis-target.js'
import { judgeSettings } from '../../src/write-behind/redis-durability.js'
import { fieldsOf, redisCommand } from '../support/redis-process.js'
import {
  type ComposeFile,
  type ComposeService,
  commandOf,
  dependenciesOf,
  environmentOf,
  mountsOf,
  networksOf,
  type RedisNodeProcess,
  readComposeFile,
  startNodeCommand,
} from './support/cluster-profile.js'
import { parseDockerfile, parseEnv } from './support/dockerfile.js'
import { type PrometheusServer, startPrometheus } from './support/prometheus-server.js'
import { composeCommand, toolAvailable } from './support/tools.js'

const DOCKER = new URL('../../docker/', import.meta.url).pathname
const COMPOSE_FILE = `${DOCKER}compose.yaml`
/** What `docker compose up` runs, with no profile. */
const EXPECTED_SERVICES = ['api-1', 'api-2', 'grafana', 'postgres', 'prometheus', 'redis', 'worker']
const DEFAULT_APPS = ['api-1', 'api-2', 'worker']

const CLUSTER_PROFILE = 'cluster'
const CLUSTER_NODES = [1, 2, 3, 4, 5, 6].map((n) => `redis-cluster-${n}`)
const CLUSTER_INIT = 'redis-cluster-init'
const CLUSTER_APPS = ['api-cluster-1', 'api-cluster-2', 'worker-cluster']
/** What `docker compose --profile cluster up` adds. */
const CLUSTER_SERVICES = [...CLUSTER_NODES, CLUSTER_INIT, 'postgres-cluster', ...CLUSTER_APPS]

const compose = composeCommand()

/** `compose config` with `profiles` active, in an environment without the file's variables. */
function composeConfig(profiles: string[], ...args: string[]): string {
  const [command = '', ...base] = compose ?? []
  const profileArgs = profiles.flatMap((profile) => ['--profile', profile])
  return execFileSync(command, [...base, ...profileArgs, '-f', COMPOSE_FILE, 'config', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  })
}

/**
 * The services that run with `profiles` active, from `compose config`'s output: Compose v2
 * prints only those, v1 (Debian's) every service with its `profiles`.
 */
function composeServices(profiles: string[]): Record<string, ComposeService> {
  const { services } = parse(composeConfig(profiles)) as ComposeFile
  return Object.fromEntries(
    Object.entries(services).filter(([, service]) => runsWith(service, profiles)),
  )
}

function runsWith(service: ComposeService, profiles: string[]): boolean {
  return service.profiles === undefined || service.profiles.some((it) => profiles.includes(it))
}

/** The services that build this repository's image. */
function servicesThatBuild(services: Record<string, ComposeService>): string[] {
  return Object.entries(services)
    .filter(([, service]) => service.build !== undefined)
    .map(([name]) => name)
    .sort()
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

function service(file: ComposeFile, name: string): ComposeService {
  const found = file.services[name]
  if (!found) throw new Error(`docker/compose.yaml has no service ${name}`)
  return found
}

/** The port a node's command line makes redis-server listen on (6379 unless it says). */
function nodePort(node: ComposeService): string {
  const command = commandOf(node)
  const flag = command.indexOf('--port')
  return flag < 0 ? '6379' : (command[flag + 1] ?? '')
}

/** `ip:port` of a node on the network where it has a fixed address. */
function nodeAddress(node: ComposeService): string {
  const fixed = Object.values(Array.isArray(node.networks) ? {} : (node.networks ?? {}))
    .map((settings) => settings?.ipv4_address)
    .filter((ip) => ip !== undefined)
  expect(fixed, 'a fixed IPv4 address, on exactly one network').toHaveLength(1)
  return `${fixed[0]}:${nodePort(node)}`
}

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number)
  expect(
    parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p < 256),
    ip,
  ).toBe(true)
  return parts.reduce((sum, part) => sum * 256 + part, 0)
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/')
  const size = 2 ** (32 - Number(bits))
  const start = Math.floor(ipv4ToNumber(base) / size) * size
  const address = ipv4ToNumber(ip)
  return address >= start && address < start + size
}

describe('docker/compose.yaml, read as Compose reads it (no compose tool needed)', () => {
  const file = readComposeFile(COMPOSE_FILE)
  const names = Object.keys(file.services)
  const inProfile = names.filter((name) => service(file, name).profiles !== undefined)
  const byDefault = names.filter((name) => service(file, name).profiles === undefined)

  it('runs the same services as before without a profile', () => {
    expect(byDefault.sort()).toEqual(EXPECTED_SERVICES)
  })

  it('puts every other service in the cluster profile, and only there', () => {
    expect(inProfile.sort()).toEqual([...CLUSTER_SERVICES].sort())
    for (const name of inProfile) expect(service(file, name).profiles, name).toEqual(['cluster'])
  })

  it('keeps the default services off the cluster profile’s networks, volumes and services', () => {
    const clusterVolumes = new Set(
      CLUSTER_SERVICES.flatMap((name) => mountsOf(service(file, name)).map((it) => it.source)),
    )
    for (const name of byDefault) {
      const it = service(file, name)
      expect(networksOf(it), name).toEqual(['default'])
      for (const { source } of mountsOf(it)) expect(clusterVolumes.has(source), source).toBe(false)
      for (const needed of Object.keys(dependenciesOf(it))) {
        expect(byDefault, `${name} depends on ${needed}`).toContain(needed)
      }
    }
  })

  it('gives the default apps the one Redis and the PostgreSQL, in a config loadConfig accepts', () => {
    for (const name of DEFAULT_APPS) {
      const config = loadConfig(environmentOf(service(file, name)))
      expect(redisTarget(config), name).toEqual({ mode: 'standalone', url: 'redis://redis:6379' })
      expect(new URL(config.DATABASE_URL ?? '').hostname, name).toBe('postgres')
    }
  })

  it.each<[string, Record<string, string>]>([
    ['no variable set', {}],
    ['an ADMIN_TOKEN set', { ADMIN_TOKEN: 'a'.repeat(32) }],
  ])('runs the cluster apps on REDIS_CLUSTER_NODES and no REDIS_URL (%s)', (_, env) => {
    const withEnv = readComposeFile(COMPOSE_FILE, env)
    const nodeAddresses = CLUSTER_NODES.map((name) => nodeAddress(service(withEnv, name)))
    const image = service(withEnv, 'api-1')
    for (const name of CLUSTER_APPS) {
      const app = service(withEnv, name)
      const environment = environmentOf(app)
      expect(environment, name).not.toHaveProperty('REDIS_URL')
      expect(environment, name).not.toHaveProperty('REDIS_SENTINELS')
      // Throws a ConfigError naming every bad variable, REDIS_URL and REDIS_CLUSTER_NODES both set among them.
      const config = loadConfig(environment)
      const target = redisTarget(config)
      expect(target.mode, name).toBe('cluster')
      const seeds = target.mode === 'cluster' ? target.nodes : []
      expect(seeds.length, name).toBeGreaterThan(0)
      for (const seed of seeds) expect(nodeAddresses).toContain(`${seed.host}:${seed.port}`)
      expect(new URL(config.DATABASE_URL ?? '').hostname, name).toBe('postgres-cluster')
      expect(config.ADMIN_TOKEN).toBe(env.ADMIN_TOKEN)
      expect(config.ROLE, name).toBe(name.startsWith('worker') ? 'worker' : 'api')
      // The same image as the default apps, started once the cluster is made.
      expect([app.image, app.build], name).toEqual([image.image, image.build])
      expect(dependenciesOf(app), name).toEqual({
        [CLUSTER_INIT]: 'service_completed_successfully',
        'postgres-cluster': 'service_healthy',
      })
      // On the nodes' network (their addresses are fixed there), and where Prometheus is.
      const nodeNetworks = networksOf(service(withEnv, CLUSTER_NODES[0] ?? ''))
      expect(networksOf(app).sort(), name).toEqual(['default', ...nodeNetworks].sort())
    }
  })

  it('publishes no host port twice, with the cluster profile’s services running too', () => {
    const published = names.flatMap((name) =>
      (service(file, name).ports ?? []).map((port) => port.split(':').slice(0, -1).join(':')),
    )
    expect(published.length).toBeGreaterThanOrEqual(6)
    expect(new Set(published).size).toBe(published.length)
  })

  it('gives each node a fixed address in its network’s subnet, and a volume of its own', () => {
    const addresses = new Set<string>()
    const volumes = new Set<string>()
    for (const name of CLUSTER_NODES) {
      const node = service(file, name)
      const [network = ''] = networksOf(node)
      expect(networksOf(node), name).toEqual([network])
      const ip = nodeAddress(node).split(':')[0] ?? ''
      const [ipam] = file.networks?.[network]?.ipam?.config ?? []
      expect(ipam?.subnet, `${network}'s subnet`).toBeDefined()
      expect(inCidr(ip, ipam?.subnet ?? ''), `${ip} in ${ipam?.subnet}`).toBe(true)
      // The network hands out its ip_range to containers without a fixed address.
      if (ipam?.ip_range) expect(inCidr(ip, ipam.ip_range), `${ip} outside ip_range`).toBe(false)
      addresses.add(ip)
      const data = mountsOf(node).find((mount) => mount.target === '/data')
      expect(Object.keys(file.volumes ?? {}), name).toContain(data?.source)
      volumes.add(data?.source ?? '')
      expect(node.image, name).toMatch(/^redis:/)
    }
    expect(addresses.size).toBe(CLUSTER_NODES.length)
    expect(volumes.size).toBe(CLUSTER_NODES.length)
  })

  it('runs the init script over every node, once each answers', () => {
    const init = service(file, CLUSTER_INIT)
    const [shell, script, ...args] = commandOf(init)
    expect(shell).toBe('sh')
    expect(args.sort()).toEqual(
      CLUSTER_NODES.map((name) => nodeAddress(service(file, name))).sort(),
    )
    expect(dependenciesOf(init)).toEqual(
      Object.fromEntries(CLUSTER_NODES.map((name) => [name, 'service_healthy'])),
    )
    expect(networksOf(init)).toEqual(networksOf(service(file, CLUSTER_NODES[0] ?? '')))
    // A one-shot: restarting it would run it again and again.
    expect(init).not.toHaveProperty('restart')
    const mount = mountsOf(init).find((it) => it.target === script)
    expect(mount?.source).toMatch(/^\.\//)
    const source = resolve(DOCKER, mount?.source ?? '')
    expect(existsSync(source), source).toBe(true)
    // Its arguments, every node, are what `redis-cli --cluster create` is given.
    expect(readFileSync(source, 'utf8')).toContain('redis-cli --cluster create "$@"')
  })

  it('mounts only files that exist in the repository', () => {
    for (const name of names) {
      for (const { source } of mountsOf(service(file, name))) {
        if (source.startsWith('.')) expect(existsSync(resolve(DOCKER, source)), source).toBe(true)
      }
    }
  })
})

describe.sequential('the cluster profile’s nodes, as redis-server and redis-cli run them', () => {
  const file = readComposeFile(COMPOSE_FILE)
  const init = service(file, CLUSTER_INIT)
  const nodes: RedisNodeProcess[] = []

  beforeAll(async () => {
    // One at a time: each probes for a free port (and bus port) before binding it.
    for (const name of CLUSTER_NODES) {
      nodes.push(await startNodeCommand(commandOf(service(file, name))))
    }
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.dispose()))
  })

  /** The init service's command, run here: each node's address in the file is its local one's. */
  async function runInit(): Promise<string> {
    const [shell = '', script, ...args] = commandOf(init)
    const local = new Map(
      CLUSTER_NODES.map((name, i) => [nodeAddress(service(file, name)), nodes[i]?.address]),
    )
    const source = resolve(DOCKER, mountsOf(init).find((it) => it.target === script)?.source ?? '')
    const localArgs = args.map((arg) => local.get(arg) ?? arg)
    try {
      const { stdout } = await promisify(execFile)(shell, [source, ...localArgs], {
        timeout: 90_000,
      })
      return stdout
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
      throw new Error(`${CLUSTER_INIT} failed:\n${stdout}${stderr}`, { cause: error })
    }
  }

  /** Every node's id and, for a replica, its master's; the masters' slots. */
  async function topology() {
    const lines = String(await redisCommand(nodes[0]?.port ?? 0, 'CLUSTER', 'NODES'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
    const masters = lines.filter(([, , flags = '']) => flags.split(',').includes('master'))
    const replicas = lines.filter(([, , flags = '']) => flags.split(',').includes('slave'))
    return {
      ids: lines.map(([id = '']) => id).sort(),
      masterIds: masters.map(([id = '']) => id).sort(),
      mastersOfReplicas: replicas.map(([, , , masterId = '']) => masterId).sort(),
      masterSlots: masters.map((fields) => fields.slice(8).join(' ')),
    }
  }

  async function clusterInfo(node: RedisNodeProcess) {
    return fieldsOf(String(await redisCommand(node.port, 'CLUSTER', 'INFO')))
  }

  it('accepts each node’s flags, which give every node what write-behind needs', async () => {
    for (const node of nodes) {
      const reply = await redisCommand(node.port, 'CONFIG', 'GET', '*')
      const config = new Map<string, string>()
      const pairs = Array.isArray(reply) ? reply.map(String) : []
      for (let i = 0; i + 1 < pairs.length; i += 2) config.set(pairs[i] ?? '', pairs[i + 1] ?? '')
      expect(config.get('cluster-enabled')).toBe('yes')
      const durability = judgeSettings({
        appendonly: config.get('appendonly'),
        appendfsync: config.get('appendfsync'),
        maxmemory: config.get('maxmemory'),
        'maxmemory-policy': config.get('maxmemory-policy'),
      })
      expect(durability, node.address).toMatchObject({ deferrable: true })
      expect(config.get('maxmemory-policy')).toBe('noeviction')
    }
  })

  it('makes them one cluster of 3 masters, each with a replica', async () => {
    await runInit()
    for (const node of nodes) {
      const info = await clusterInfo(node)
      expect(info.get('cluster_state'), node.address).toBe('ok')
      expect(info.get('cluster_slots_ok'), node.address).toBe('16384')
      expect(info.get('cluster_known_nodes'), node.address).toBe(String(nodes.length))
    }
    const { masterIds, mastersOfReplicas, masterSlots } = await topology()
    expect(masterIds).toHaveLength(3)
    expect(mastersOfReplicas).toEqual(masterIds)
    for (const slots of masterSlots) expect(slots).not.toBe('')
  }, 90_000)

  it('does nothing when run again', async () => {
    const before = await topology()
    expect(await runInit()).toContain('nothing to do')
    expect(await topology()).toEqual(before)
  }, 90_000)

  it('waits for the cluster to come back, without making it again, after every node restarts', async () => {
    const before = await topology()
    await Promise.all(nodes.map((node) => node.stop()))
    await Promise.all(nodes.map((node) => node.start()))
    await runInit()
    for (const node of nodes) expect((await clusterInfo(node)).get('cluster_state')).toBe('ok')
    // Same node ids: the nodes came back from their nodes.conf, not from a new `--cluster create`.
    expect((await topology()).ids).toEqual(before.ids)
  }, 90_000)
})

describe.skipIf(!compose)('docker/compose.yaml, read by Compose', () => {
  it('parses, with and without the cluster profile', () => {
    expect(() => composeConfig([], '--quiet')).not.toThrow()
    expect(() => composeConfig([CLUSTER_PROFILE], '--quiet')).not.toThrow()
  })

  it('names every service of the stack', () => {
    expect(Object.keys(composeServices([])).sort()).toEqual(EXPECTED_SERVICES)
    expect(Object.keys(composeServices([CLUSTER_PROFILE])).sort()).toEqual(
      [...EXPECTED_SERVICES, ...CLUSTER_SERVICES].sort(),
    )
  })

  it('runs two API instances and a worker from the repository’s image, per profile', () => {
    expect(servicesThatBuild(composeServices([]))).toEqual(DEFAULT_APPS)
    expect(servicesThatBuild(composeServices([CLUSTER_PROFILE]))).toEqual(
      [...DEFAULT_APPS, ...CLUSTER_APPS].sort(),
    )
  })

  it('gives every service the command and environment read here', () => {
    const here = readComposeFile(COMPOSE_FILE)
    for (const [name, it] of Object.entries(composeServices([CLUSTER_PROFILE]))) {
      const expected = service(here, name)
      expect(commandOf(it), name).toEqual(commandOf(expected))
      expect(environmentOf(it), name).toEqual(environmentOf(expected))
    }
  })

  it('mounts only files that exist in the repository', () => {
    const sources = Object.values(composeServices([CLUSTER_PROFILE]))
      .flatMap((it) => mountsOf(it))
      .map((mount) => mount.source)
      .filter((source) => source.startsWith('/'))
    expect(sources.length).toBeGreaterThanOrEqual(4)
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

    // The default stack's: the cluster profile's apps are not in docker/prometheus.yml.
    it('scrapes every API and worker service of the compose file, on the image’s port', async () => {
      const expected = servicesThatBuild(composeServices([])).map(
        (name) => `${name}:${imagePort()}`,
      )
      // Static targets are listed once discovery has synced (within ~5 s), up or not.
      await expect
        .poll(
          async () =>
            (await prometheus.activeTargets()).map((it) => it.labels.instance ?? '').sort(),
          { timeout: 15_000, interval: 200 },
        )
        .toEqual(expected)
    })
  },
)
