/** What a message says about its sender's numbering: see `seq` in bus-message.ts. */
export type SeqKind = 'invalidation' | 'status'

interface Peer {
  lastSeq: number
  /** On the caller's clock (`performance.now()`). */
  heardAt: number
  /** Already reported silent; quiet again only once heard from. */
  silent: boolean
}

export interface PeerTrackerOptions {
  /** Silent for longer than this: presumed to have lost messages. */
  silenceMs: number
  /** A peer reported silent is forgotten once silent this long. @default 10 × silenceMs */
  forgetAfterMs?: number
  /** Beyond, the peer heard from least recently is forgotten. @default 1000 */
  maxPeers?: number
}

/**
 * The other instances this one hears, each with the last message number it sent and when it was
 * last heard from. Only peers that number their messages are tracked: instances from before
 * `seq` send no heartbeats, so their silence means nothing. Pure: the caller passes the time.
 */
export class PeerTracker {
  readonly #silenceMs: number
  readonly #forgetAfterMs: number
  readonly #maxPeers: number
  /** In the order they were last heard from, least recently first. */
  readonly #peers = new Map<string, Peer>()

  constructor(options: PeerTrackerOptions) {
    this.#silenceMs = options.silenceMs
    this.#forgetAfterMs = options.forgetAfterMs ?? 10 * options.silenceMs
    this.#maxPeers = options.maxPeers ?? 1000
  }

  get size(): number {
    return this.#peers.size
  }

  /**
   * Notes a message from `from` numbered `seq`; answers whether a message before it went missing.
   * An invalidation numbered n follows n − 1; a heartbeat or bye (`status`) repeats the number of
   * the last invalidation. A number not above the last is a repeat (a retry of a message Redis had
   * taken after all) or a late arrival: no news. The first message from a peer sets the count.
   */
  heard(from: string, seq: number, kind: SeqKind, at: number): boolean {
    const peer = this.#peers.get(from)
    if (peer === undefined) {
      this.#add(from, { lastSeq: seq, heardAt: at, silent: false })
      return false
    }
    this.#peers.delete(from) // and back at the end: most recently heard
    this.#peers.set(from, peer)
    const missing = seq > (kind === 'invalidation' ? peer.lastSeq + 1 : peer.lastSeq)
    peer.lastSeq = Math.max(peer.lastSeq, seq)
    peer.heardAt = at
    peer.silent = false
    return missing
  }

  /** A peer that said bye: nothing more is coming from it. */
  forget(from: string): void {
    this.#peers.delete(from)
  }

  /**
   * How many peers have just been found silent for longer than `silenceMs` as of `at`: each counts
   * once per silence, until heard from again. `at` must be a moment this instance is known to have
   * been listening (its own message came back then), so that a pause of its own, or a subscription
   * that hears nothing, is never taken for its peers' silence. Forgets peers silent for long.
   */
  silentAsOf(at: number): number {
    let found = 0
    for (const [id, peer] of this.#peers) {
      const silentFor = at - peer.heardAt
      if (silentFor <= this.#silenceMs) break // every later one was heard from more recently
      if (!peer.silent) {
        peer.silent = true
        found++
      } else if (silentFor > this.#forgetAfterMs) {
        this.#peers.delete(id)
      }
    }
    return found
  }

  /** Forgets every peer: the subscription dropped, and coming back will clear L1 anyway. */
  clear(): void {
    this.#peers.clear()
  }

  #add(id: string, peer: Peer): void {
    const leastRecent = this.#peers.keys().next()
    if (this.#peers.size >= this.#maxPeers && !leastRecent.done) {
      this.#peers.delete(leastRecent.value)
    }
    this.#peers.set(id, peer)
  }
}
