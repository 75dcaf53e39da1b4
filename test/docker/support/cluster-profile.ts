import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { redisAnswers } from '../../../bench/net.js'
import { killOnExit } from '../../support/kill-on-exit.js'

// What test/docker/compose.test.ts needs to check docker/compose.yaml without a compose tool:
// the file as Compose reads it (anchors merged, variables interpolated), and its Redis nodes'
// command lines run by a real redis-server.

export interface ComposeService {
  image?: string
  build?: unknown
  profiles?: string[]
  command?: string[] | string
  environment?: Record<string, string | number | boolean | null> | string[]
  depends_on?: Record<string, { condition?: string }> | string[]
  networks?: Record<string, { ipv4_address?: string } | null> | string[]
  volumes?: Array<string | { type?: string; source?: string; target?: string }>
  ports?: string[]
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  networks?: Record<string, { ipam?: { config?: Array<{ subnet?: string; ip_range?: string }> } }>
  volumes?: Record<string, unknown>
}

/**
 * `file` as Compose reads it: `<<` merge keys applied, `${NAME}`, `${NAME:-default}` and
 * `${NAME-default}` interpolated from `env` (an empty one: what a shell without those gives),
 * `$$` unescaped. Extension fields (`x-…`) are left as they are.
 */
export function readComposeFile(file: string, env: Record<string, string> = {}): ComposeFile {
  const parsed = parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile
  return interpolate(parsed, env) as ComposeFile
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g

function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (match, braced, colon, fallback, bare) => {
      if (match === '$$') return '$'
      const name = (braced ?? bare) as string
      const set = env[name]
      if (fallback === undefined) return set ?? ''
      // `:-` uses the default when unset or empty, `-` only when unset.
      return set === undefined || (colon === ':' && set === '') ? (fallback as string) : set
    })
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]),
    )
  }
  return value
}

/** The service's environment as the container gets it: every value a string. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((item) => {
        const equals = item.indexOf('=')
        return equals < 0 ? [item, ''] : [item.slice(0, equals), item.slice(equals + 1)]
      })
    : Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value ?? '')])
  return Object.fromEntries(entries)
}

/** The networks the service joins (Compose puts a service without any on `default`). */
export function networksOf(service: ComposeService): string[] {
  if (service.networks === undefined) return ['default']
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks)
}

/** The services it waits for, with the condition (`service_started` in the short form). */
export function dependenciesOf(service: ComposeService): Record<string, string> {
  const dependsOn = service.depends_on ?? {}
  if (Array.isArray(dependsOn)) {
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']))
  }
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, it]) => [name, it.condition ?? 'service_started']),
  )
}

/** Its volumes as `{ source, target }`: a named volume's name, or a bind mount's host path. */
export function mountsOf(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string')
      return { source: volume.source ?? '', target: volume.target ?? '' }
    const [source = '', target = ''] = volume.split(':')
    return { source, target }
  })
}

export function commandOf(service: ComposeService): string[] {
  if (service.command === undefined) return []
  if (Array.isArray(service.command)) return service.command.map(String)
  throw new Error('a command in shell form: write it as a list, so that it is checked as run')
}

/** A redis-server started from a compose node's command line, on 127.0.0.1. */
export interface RedisNodeProcess {
  port: number
  address: string
  /** SIGTERM to this process (by its PID), and waits for it to exit. Keeps its directory. */
  stop(): Promise<void>
  /** Starts the same command line again, on the same port and directory. */
  start(): Promise<void>
  /** `stop()`, then removes its directory. */
  dispose(): Promise<void>
}

const STARTUP_TIMEOUT_MS = 10_000
/** A cluster node's bus listens on its port + 10000, which must be a port too. */
const BUS_PORT_OFFSET = 10_000

/**
 * Runs `command` (`redis-server` and its flags, as in the compose file) with `--port`, `--bind
 * 127.0.0.1` and `--dir` (a temp dir of its own) appended: on a free port below 55536 whose
 * port + 10000 (the cluster bus) is free too. Rejects with the server's output if it exits
 * (a flag it refuses) or does not answer PING in time. Call `dispose()` when done; if the test
 * process exits first, the server is killed then.
 */
export async function startNodeCommand(command: string[]): Promise<RedisNodeProcess> {
  const [binary = '', ...flags] = command
  const dir = await mkdtemp(join(tmpdir(), 'compose-redis-node-'))
  let port = 0
  let child: ChildProcess | undefined
  const launchOn = (candidate: number) =>
    launch(binary, [...flags, '--port', String(candidate), '--bind', '127.0.0.1', '--dir', dir])
  try {
    for (let attempt = 1; child === undefined; attempt++) {
      port = await freeClusterPort()
      try {
        child = await launchOn(port)
      } catch (error) {
        // Another process may have taken a port between the probe and the bind.
        if (attempt >= 3) throw error
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  let current: ChildProcess = child
  const stop = async () => {
    if (current.exitCode !== null || current.signalCode !== null) return
    const exited = once(current, 'exit')
    current.kill('SIGTERM')
    await exited
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    stop,
    async start() {
      current = await launchOn(port)
    },
    async dispose() {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function launch(binary: string, args: string[]): Promise<ChildProcess> {
  const port = Number(args[args.indexOf('--port') + 1])
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  killOnExit(child)
  let output = ''
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keepTail)
  child.stderr?.on('data', keepTail)
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (!(await redisAnswers(port))) {
    const exited = child.exitCode !== null || child.signalCode !== null
    if (exited || Date.now() > deadline) {
      if (!exited) {
        const gone = once(child, 'exit')
        child.kill('SIGKILL')
        await gone
      }
      throw new Error(`${binary} ${args.join(' ')} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

/** A free port of 127.0.0.1 below 65536 - 10000 whose cluster bus port is free too. */
async function freeClusterPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await listenBriefly(0)
    if (port + BUS_PORT_OFFSET < 65_536 && (await listenBriefly(port + BUS_PORT_OFFSET)) > 0) {
      return port
    }
  }
  throw new Error('found no free port whose port + 10000 is free too')
}

/** Binds `port` (0: any) on 127.0.0.1 and closes it: the port bound, or 0 if it is taken. */
async function listenBriefly(port: number): Promise<number> {
  const server = createServer()
  const bound = await new Promise<number>((resolve) => {
    server.once('error', () => resolve(0))
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : 0)
    })
  })
  if (server.listening) {
    server.close()
    await once(server, 'close')
  }
  return bound
}
