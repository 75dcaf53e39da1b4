import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killOnExit } from '../../support/kill-on-exit.js'
import { freePort } from '../../support/processes.js'

export const PROMETHEUS_BINARY = 'prometheus'

export interface ActiveTarget {
  labels: Record<string, string>
  health: 'up' | 'down' | 'unknown'
  /** RFC 3339; the start of the last scrape, recorded once that scrape is done. */
  lastScrape: string
  lastError: string
}

export interface InstantSample {
  metric: Record<string, string>
  value: [number, string]
}

export interface PrometheusServer {
  url: string
  /** An instant query now; throws with Prometheus's message if the expression is refused. */
  query(expression: string): Promise<InstantSample[]>
  activeTargets(): Promise<ActiveTarget[]>
  /** SIGTERM to the process this started, waits for it to exit, and removes its data. */
  stop(): Promise<void>
}

const STARTUP_TIMEOUT_MS = 15_000

/**
 * Debian's prometheus on a free port of 127.0.0.1 with `config` (YAML) and a TSDB in a temp
 * dir. Stop it in an afterAll; if the test process exits first, it is killed then.
 */
export async function startPrometheus(config: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-test-'))
  await writeFile(join(dir, 'prometheus.yml'), config)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  killOnExit(child)
  let output = ''
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keepTail)
  child.stderr?.on('data', keepTail)

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (
    !(await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`prometheus did not become ready on ${url}:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  return {
    url,
    async query(expression) {
      const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`)
      return (body.data as { result: InstantSample[] }).result
    },
    async activeTargets() {
      const body = await getJson(`${url}/api/v1/targets?state=active`)
      return (body.data as { activeTargets: ActiveTarget[] }).activeTargets
    },
    stop,
  }
}

async function getJson(url: string): Promise<{ status: string; data: unknown; error?: string }> {
  const response = await fetch(url)
  const body = (await response.json()) as { status: string; data: unknown; error?: string }
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? response.status}`)
  return body
}
