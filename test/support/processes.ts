import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { createServer } from 'node:net'

const ENTRY = new URL('../../src/start/server.ts', import.meta.url).pathname

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface ServerProcess {
  child: ChildProcess
  base: string
  output(): string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
}

/** Runs src/start/server.ts in a process of its own (tsx), on a free port of 127.0.0.1. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, exited }
}

export interface Answer {
  status: number
  body: string
}

/**
 * One HTTP request on a connection of its own (`Connection: close`), so that a server shutting
 * down either refuses it (ECONNREFUSED: never accepted) or must answer it in full.
 */
export function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}
