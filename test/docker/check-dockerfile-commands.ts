// Runs docker/Dockerfile's own build and start commands on a clean copy of the repository, with
// the `node` first in PATH standing in for the image's (no container engine runs where CI does).
//
//   npx tsx test/docker/check-dockerfile-commands.ts
//
// .ci/run runs it after the tests on Node 24, the image's, with npm_config_nodedir pointing at
// that Node's headers so a native addon compiles against the Node it will run on.
//
// Each stage gets a directory standing for its filesystem. FROM an earlier stage copies that
// stage's directory; FROM an image starts empty. WORKDIR, COPY (from the build context or
// --from a stage), ENV, CMD and HEALTHCHECK are followed; RUN runs `npm …` commands there and
// skips the rest (system packages, chown: they set up the image, not the app), so every build
// step of the app must be an npm command. Then it starts the final stage's CMD with its ENV as
// an API and as a worker, as docker/compose.yaml does, runs the HEALTHCHECK command against
// each, reads a product, and stops both with SIGTERM. It is a script, not a vitest file: the
// native addon's compile takes a core for a minute, which would skew the timing-sensitive tests
// running beside it.
import { type ChildProcess, execFileSync, execSync, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, posix } from 'node:path'
import { Redis } from 'ioredis'
import { call, freePort } from '../support/processes.js'
import { deleteByPrefix, REDIS_URL } from '../support/redis.js'
import {
  commandArgv,
  parseCopy,
  parseDockerfile,
  parseEnv,
  parseHealthcheck,
  type Stage,
} from './support/dockerfile.js'

const REPOSITORY = new URL('../../', import.meta.url).pathname
const STOP_TIMEOUT_MS = 20_000

interface BuiltStage {
  root: string
  workdir: string
  env: Record<string, string>
  cmd?: string[]
  healthcheck?: string[]
}

const started = performance.now()
const log = (message: string) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(5)
  console.log(`[dockerfile ${seconds}s] ${message}`)
}

/** The files a fresh clone holds once the work tree is committed: tracked and new, not ignored. */
function copyRepository(target: string) {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: REPOSITORY, encoding: 'utf8' },
  )
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(REPOSITORY, file)))
  for (const file of files) cpSync(join(REPOSITORY, file), join(target, file))
  log(`copied ${files.length} files of the repository to ${target}`)
}

function buildStage(stage: Stage, built: Map<string, BuiltStage>, context: string, work: string) {
  const base = built.get(stage.from)
  const root = join(work, 'stages', stage.name)
  if (base) cpSync(base.root, root, { recursive: true, verbatimSymlinks: true })
  else mkdirSync(root, { recursive: true })
  const result: BuiltStage = {
    root,
    workdir: base?.workdir ?? '/',
    env: { ...base?.env },
    cmd: base?.cmd,
    healthcheck: base?.healthcheck,
  }
  const inStage = (path: string) => join(root, posix.resolve(result.workdir, path))

  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      result.workdir = posix.resolve(result.workdir, args)
      mkdirSync(inStage('.'), { recursive: true })
    } else if (keyword === 'COPY') {
      const { flags, sources, destination } = parseCopy(args)
      const from = flags.from === undefined ? undefined : built.get(flags.from)
      if (flags.from !== undefined && !from)
        throw new Error(`COPY --from=${flags.from}: no such stage`)
      const intoDirectory = destination.endsWith('/') || sources.length > 1
      for (const source of sources) {
        // --from paths are in that stage's filesystem; the others are in the build context.
        const path = from ? join(from.root, posix.resolve('/', source)) : join(context, source)
        const target =
          intoDirectory && !statSync(path).isDirectory()
            ? join(inStage(destination), basename(source))
            : inStage(destination)
        cpSync(path, target, { recursive: true, verbatimSymlinks: true })
      }
    } else if (keyword === 'RUN') {
      if (!/^npm\s/.test(args)) {
        log(`${stage.name}: skipped RUN ${args.slice(0, 60)}…`)
        continue
      }
      log(`${stage.name}: RUN ${args}`)
      // The host's environment: the stage's ENV names paths inside the image (npm_config_nodedir).
      execSync(args, { cwd: inStage('.'), stdio: 'inherit' })
    } else if (keyword === 'ENV') Object.assign(result.env, parseEnv(args))
    else if (keyword === 'CMD') result.cmd = commandArgv(args)
    else if (keyword === 'HEALTHCHECK') result.healthcheck = parseHealthcheck(args).argv
    // USER, EXPOSE, ARG, LABEL, STOPSIGNAL: nothing to do outside a container.
  }
  return result
}

/** `node` as a command means this machine's node: the one running this check. */
const hostArgv = ([command = '', ...args]: string[]) =>
  [command === 'node' ? process.execPath : command, ...args] as const

interface Role {
  role: string
  port: number
  child: ChildProcess
  output(): string
}

function start(image: BuiltStage, role: string, port: number, env: Record<string, string>): Role {
  if (!image.cmd) throw new Error('the final stage has no CMD')
  const [command, ...args] = hostArgv(image.cmd)
  const child = spawn(command, args, {
    cwd: join(image.root, image.workdir),
    env: { PATH: process.env.PATH ?? '', ...image.env, ...env, ROLE: role, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return { role, port, child, output: () => output }
}

async function waitForHealth({ role, port, child, output }: Role) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const ended = child.exitCode ?? child.signalCode // a native crash ends it by a signal
    if (ended !== null) throw new Error(`${role} ended (${ended}) before /health:\n${output()}`)
    const answer = await call(`http://127.0.0.1:${port}`, 'GET', '/health').catch(() => undefined)
    if (answer?.status === 200) return
    if (Date.now() > deadline) throw new Error(`${role} never answered /health:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function healthcheckPasses(image: BuiltStage, port: number): boolean {
  if (!image.healthcheck) throw new Error('the final stage has no HEALTHCHECK')
  const [command, ...args] = hostArgv(image.healthcheck)
  const result = spawnSync(command, args, {
    cwd: join(image.root, image.workdir),
    env: { PATH: process.env.PATH ?? '', ...image.env, PORT: String(port) },
    timeout: 10_000,
  })
  return result.status === 0
}

function expect(condition: boolean, what: string) {
  if (!condition) throw new Error(`expected ${what}`)
  log(`ok: ${what}`)
}

async function stop({ role, child, output }: Role) {
  const ended = child.exitCode ?? child.signalCode
  if (ended !== null) throw new Error(`${role} had ended (${ended}) before SIGTERM:\n${output()}`)
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  const [code, signal] = await exited
  clearTimeout(timer)
  const got = code === 0 ? '0' : `${code ?? signal}:\n${output()}`
  expect(code === 0, `${role} exits 0 on SIGTERM (got ${got})`)
}

async function runImage(image: BuiltStage, work: string) {
  const id = randomUUID()
  const env = {
    // What docker/compose.yaml sets, pointed at this machine: Redis here, SQLite in the temp dir.
    REDIS_URL,
    DATABASE_URL: `sqlite:${join(work, 'catalog.db')}`,
    REDIS_KEY_PREFIX: `dockerfile-check:${id}:`,
    QUEUE_PREFIX: `dockerfile-check-${id}`,
    ADMIN_TOKEN: `dockerfile-check-token-${id}`,
    SEED_PRODUCTS: '50',
    LOG_LEVEL: 'warn',
    // The image listens on 0.0.0.0; on this shared machine, loopback only.
    HOST: '127.0.0.1',
  }
  const roles: Role[] = []
  try {
    for (const role of ['api', 'worker']) {
      const running = start(image, role, await freePort(), env)
      roles.push(running)
      await waitForHealth(running)
      log(`${role}: /health answers on port ${running.port}`)
      expect(healthcheckPasses(image, running.port), `the HEALTHCHECK command passes for ${role}`)
    }
    const [api, worker] = roles as [Role, Role]
    const product = await call(`http://127.0.0.1:${api.port}`, 'GET', '/products/1')
    expect(product.status === 200, `the api serves GET /products/1 (got ${product.status})`)
    const metrics = await call(`http://127.0.0.1:${worker.port}`, 'GET', '/metrics')
    expect(
      metrics.status === 200 && metrics.body.includes('jobs_total'),
      'the worker serves its /metrics',
    )
    for (const running of roles) await stop(running)
    expect(
      !healthcheckPasses(image, api.port),
      'the HEALTHCHECK command fails once the api is gone',
    )
  } finally {
    for (const { child } of roles) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    const redis = new Redis(REDIS_URL, { lazyConnect: true })
    await redis.connect().catch(() => {})
    await deleteByPrefix(redis, env.REDIS_KEY_PREFIX).catch(() => {})
    await deleteByPrefix(redis, `{${env.QUEUE_PREFIX}}`).catch(() => {})
    redis.disconnect()
  }
}

async function main(work: string) {
  const context = join(work, 'context')
  copyRepository(context)
  const stages = parseDockerfile(readFileSync(join(context, 'docker/Dockerfile'), 'utf8'))
  const built = new Map<string, BuiltStage>()
  for (const stage of stages) built.set(stage.name, buildStage(stage, built, context, work))
  const image = built.get((stages.at(-1) as Stage).name) as BuiltStage
  log(`final stage assembled in ${image.root}${image.workdir}`)
  await runImage(image, work)
}

const work = mkdtempSync(join(tmpdir(), 'dockerfile-check-'))
main(work).then(
  () => {
    rmSync(work, { recursive: true, force: true })
    log('the Dockerfile builds and starts on a clean copy')
  },
  (error: unknown) => {
    console.error(`[dockerfile] FAILED: ${error instanceof Error ? error.message : String(error)}`)
    console.error(`[dockerfile] stages left for inspection in ${work}`)
    process.exitCode = 1
  },
)
