import { connect, type Socket } from 'node:net'
import type { LoadRun, RequestShape, TimelineBin } from './load-types.js'

const CONNECT_TIMEOUT_MS = 10_000
const RESPONSE_TIMEOUT_MS = 10_000

/**
 * `count` requests truly at once: every socket is connected first, then each gets its one
 * request in a single synchronous loop. autocannon sends a request as soon as its connection
 * opens, which spreads 900 requests over however long 900 connects take (longer than a 100 ms
 * load on 2 busy cores), so most of them would find the cache already filled: not a stampede.
 *
 * Each socket asks `Connection: close`, so the response ends when the server closes it.
 * Sockets are spread round-robin over `urls` (one per instance).
 */
export async function sendBurst(
  urls: readonly string[],
  count: number,
  request: RequestShape,
): Promise<LoadRun> {
  const targets = urls.map((url) => new URL(url))
  const sockets: Socket[] = []
  try {
    await Promise.all(
      Array.from({ length: count }, (_, index) => {
        const target = targets[index % targets.length] as URL
        return new Promise<void>((resolve, reject) => {
          const socket = connect(Number(target.port), target.hostname)
          sockets.push(socket)
          socket.setTimeout(CONNECT_TIMEOUT_MS, () => reject(new Error('connect timed out')))
          socket.once('connect', () => {
            socket.setTimeout(0)
            resolve()
          })
          socket.once('error', reject)
        })
      }),
    )
    return await fire(sockets, targets, request)
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}

interface Answer {
  status: number | undefined
  latencyMs: number
  error: 'socket' | 'timeout' | undefined
}

async function fire(sockets: Socket[], targets: URL[], request: RequestShape): Promise<LoadRun> {
  const answers: Array<Promise<Answer>> = []
  const startedAt = performance.now()
  for (const [index, socket] of sockets.entries()) {
    const target = targets[index % targets.length] as URL
    answers.push(awaitAnswer(socket))
    socket.write(requestText(request, target.host))
  }
  const settled = await Promise.all(answers)
  const elapsedMs = performance.now() - startedAt

  const statusCodes: Record<string, number> = {}
  const latencies = new Float64Array(settled.length)
  let responses = 0
  let non2xx = 0
  let socketErrors = 0
  let timeouts = 0
  const bin: TimelineBin = { startMs: 0, responses: 0, errors: 0, maxLatencyMs: 0 }
  for (const answer of settled) {
    if (answer.error === 'timeout') timeouts++
    else if (answer.error === 'socket' || answer.status === undefined) socketErrors++
    else {
      latencies[responses++] = answer.latencyMs
      statusCodes[answer.status] = (statusCodes[answer.status] ?? 0) + 1
      if (answer.status < 200 || answer.status >= 300) non2xx++
      bin.responses++
      bin.maxLatencyMs = Math.max(bin.maxLatencyMs, answer.latencyMs)
    }
  }
  bin.errors = non2xx + socketErrors + timeouts
  return {
    elapsedMs,
    responses,
    non2xx,
    socketErrors,
    timeouts,
    statusCodes,
    latencies: latencies.subarray(0, responses),
    timeline: [bin],
    events: [],
  }
}

function awaitAnswer(socket: Socket): Promise<Answer> {
  const sentAt = performance.now()
  return new Promise((resolve) => {
    let head = ''
    let done = false
    const finish = (error: Answer['error']) => {
      if (done) return
      done = true
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? Number.NaN)
      resolve({
        status: Number.isNaN(status) ? undefined : status,
        latencyMs: performance.now() - sentAt,
        error,
      })
    }
    socket.setTimeout(RESPONSE_TIMEOUT_MS, () => finish('timeout'))
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 64) head += chunk.toString('latin1', 0, 64)
    })
    socket.once('end', () => finish(undefined))
    socket.once('close', () => finish(head === '' ? 'socket' : undefined))
    socket.once('error', () => finish('socket'))
  })
}

function requestText(request: RequestShape, host: string): string {
  const headers = { host, connection: 'close', ...request.headers }
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
  if (request.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(request.body)}`)
  return `${request.method} ${request.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`
}
