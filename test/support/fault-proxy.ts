import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

// A TCP proxy of our own between a client and a real redis-server, all on 127.0.0.1, to inject
// the network faults a cache must survive. Each fault is the one a test asks for:
//  - latency(ms): a slow Redis or a slow network;
//  - blackhole(): a hung Redis or a network partition (sockets stay open, nothing answers);
//  - reset(): a crash or a failover (every connection is cut, with an RST);
//  - halfOpen(): a peer that vanished without a FIN, e.g. behind a NAT that forgot the flow.
// What it cannot fake: the kernel still answers TCP keepalive probes on both sides, so only an
// application-level timeout (commandTimeout, a PING) sees a blackhole or a half-open connection.

export interface FaultProxyOptions {
  /** The redis-server's port. */
  targetPort: number
  /** @default '127.0.0.1' */
  targetHost?: string
}

export interface FaultProxy {
  readonly port: number
  /** `redis://127.0.0.1:<port>`: give it to the client under test. */
  readonly url: string
  /** Open client connections, including half-open ones still held. */
  readonly connections: number
  /**
   * Delays every chunk by `ms`, in both directions and in order (so a round trip gains 2 × ms).
   * Applies to chunks that arrive from now on; 0 turns it off.
   */
  latency(ms: number): void
  /**
   * Stops forwarding both ways but keeps every socket open. Bytes are held, not dropped, and
   * delivered in order on `heal()`, as TCP would retransmit them after a partition: dropping
   * part of a stream would shift every later reply onto the wrong command. A connection
   * accepted meanwhile reaches Redis only on `heal()`.
   */
  blackhole(): void
  /**
   * Closes the Redis side of every open connection and swallows whatever their clients send
   * from now on, without a FIN or RST to the client. Connections accepted while half-open are
   * swallowed the same way. `heal()` does not revive them (a vanished peer never comes back):
   * the client's own timeout, `reset()` or `close()` ends them.
   */
  halfOpen(): void
  /** Back to plain forwarding for new chunks and new connections: no latency, no blackhole. */
  heal(): void
  /** Cuts every open connection at once, with an RST to both sides; new ones are accepted. */
  reset(): void
  /** Stops listening and destroys every connection and timer. */
  close(): Promise<void>
}

type Mode = 'forward' | 'blackhole' | 'halfOpen'

interface Pair {
  client: Socket
  /** Undefined until dialled: never while half-open, on heal() if accepted in a blackhole. */
  upstream: Socket | undefined
  /** Half-open: Redis side closed, client's bytes swallowed, for the rest of its life. */
  dead: boolean
  toUpstream: Lane
  toClient: Lane
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1'
  let mode: Mode = 'forward'
  let delayMs = 0
  const pairs = new Set<Pair>()
  const held = () => mode === 'blackhole'

  function dial(pair: Pair): void {
    const upstream = connect({ host: targetHost, port: options.targetPort, noDelay: true })
    pair.upstream = upstream
    upstream.on('data', (chunk: Buffer) => pair.toClient.push(chunk, delayMs))
    upstream.on('error', () => {}) // 'close' follows, and handles it
    // Redis closed it (or died): pass the FIN on, after the bytes still on their way.
    upstream.on('close', () => {
      if (!pair.dead) pair.toClient.end(delayMs)
    })
    pair.toUpstream.pump() // writes made before 'connect' are buffered by Node
  }

  function kill(pair: Pair): void {
    pair.dead = true
    pair.toUpstream.drop()
    pair.toClient.drop()
    pair.upstream?.destroy()
  }

  const server = createServer({ noDelay: true }, (client) => {
    const pair: Pair = {
      client,
      upstream: undefined,
      dead: false,
      toUpstream: new Lane(() => pair.upstream, held),
      toClient: new Lane(() => client, held),
    }
    pairs.add(pair)
    client.on('data', (chunk: Buffer) => {
      if (!pair.dead) pair.toUpstream.push(chunk, delayMs)
    })
    client.on('error', () => {})
    client.on('close', () => {
      pairs.delete(pair)
      kill(pair)
    })
    if (mode === 'halfOpen') kill(pair)
    else if (mode === 'forward') dial(pair)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned')

  return {
    port: address.port,
    url: `redis://127.0.0.1:${address.port}`,
    get connections() {
      return pairs.size
    },
    latency(ms) {
      delayMs = ms
    },
    blackhole() {
      mode = 'blackhole'
    },
    halfOpen() {
      mode = 'halfOpen'
      for (const pair of pairs) kill(pair)
    },
    heal() {
      mode = 'forward'
      delayMs = 0
      for (const pair of pairs) {
        if (pair.dead) continue
        if (pair.upstream === undefined) dial(pair)
        pair.toUpstream.pump()
        pair.toClient.pump()
      }
    },
    reset() {
      for (const pair of pairs) {
        for (const socket of [pair.client, pair.upstream]) {
          if (socket !== undefined && !socket.destroyed) socket.resetAndDestroy()
        }
        kill(pair) // after the RSTs: its destroy() would have sent the Redis side a FIN
      }
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve))
      for (const pair of pairs) {
        kill(pair)
        pair.client.destroy()
      }
      pairs.clear()
      await closed // server.close() calls back once every accepted socket has closed
    },
  }
}

type Item = { due: number; chunk: Buffer } | { due: number; end: true }

/**
 * One direction of one connection: a queue written to its sink in order, each item once its
 * delay has passed, none while held. At most one timer, cleared by drop().
 */
class Lane {
  private readonly items: Item[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly sink: () => Socket | undefined,
    private readonly held: () => boolean,
  ) {}

  push(chunk: Buffer, delayMs: number): void {
    this.items.push({ due: performance.now() + delayMs, chunk })
    this.pump()
  }

  /** Ends the sink (a FIN) once everything queued before has been written. */
  end(delayMs: number): void {
    this.items.push({ due: performance.now() + delayMs, end: true })
    this.pump()
  }

  pump(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const sink = this.sink()
    if (sink === undefined || this.held()) return
    for (let head = this.items[0]; head !== undefined; head = this.items[0]) {
      const wait = head.due - performance.now()
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait)
        return
      }
      this.items.shift()
      if (sink.destroyed) continue
      if ('chunk' in head) sink.write(head.chunk)
      else sink.end()
    }
  }

  drop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.items.length = 0
  }
}
