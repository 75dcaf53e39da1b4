import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Child } from './child-processes.js'

export const HOST = '127.0.0.1'

/** A TCP port of 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, HOST)
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned')
  return address.port
}

/**
 * Polls `url` until it answers 200, the child (if given) exits, or `timeoutMs` passes (bounded
 * in time and, at one try per 50 ms, in count).
 */
export async function waitForOk(
  url: string,
  child: Pick<Child, 'name' | 'exited' | 'output'> | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child?.exited()) {
      throw new Error(`${child.name} exited before answering ${url}:\n${child.output()}`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  const what = child ? `${child.name} did not answer` : 'no answer from'
  throw new Error(`${what} ${url} within ${timeoutMs} ms:\n${child?.output() ?? ''}`)
}

/** Whether a Redis on `port` answers PING, over a raw socket (no client library). */
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST)
    let reply = ''
    const finish = (answered: boolean) => {
      socket.destroy()
      resolve(answered)
    }
    socket.setTimeout(500, () => finish(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'))
    })
    socket.on('error', () => finish(false))
  })
}
