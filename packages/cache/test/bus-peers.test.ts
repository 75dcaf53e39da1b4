import { describe, expect, it } from 'vitest'
import { PeerTracker } from '../src/bus/peer-tracker.js'

// What a receiver makes of its peers' numbers and silences: a pure function of what it heard
// and when. The bus end to end is in bus-recovery.test.ts.

const SILENCE_MS = 300

describe('PeerTracker: gaps in the numbers', () => {
  it('takes the first number it hears as the start, then expects one more per invalidation', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    expect(peers.heard('w', 41, 'invalidation', 0)).toBe(false) // what came before is not our news
    expect(peers.heard('w', 42, 'invalidation', 1)).toBe(false)
    expect(peers.heard('w', 44, 'invalidation', 2)).toBe(true) // 43 went missing
    expect(peers.heard('w', 45, 'invalidation', 3)).toBe(false)
  })

  it('reads a heartbeat or bye as the number of the last invalidation sent', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    expect(peers.heard('w', 0, 'status', 0)).toBe(false)
    expect(peers.heard('w', 0, 'status', 1)).toBe(false) // a lost heartbeat loses nothing
    expect(peers.heard('w', 1, 'invalidation', 2)).toBe(false)
    expect(peers.heard('w', 1, 'status', 3)).toBe(false)
    expect(peers.heard('w', 2, 'status', 4)).toBe(true) // invalidation 2 never came
  })

  it('takes a repeat or a late arrival as no news, and never counts back', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    peers.heard('w', 5, 'invalidation', 0)
    expect(peers.heard('w', 5, 'invalidation', 1)).toBe(false) // a retry Redis had taken after all
    expect(peers.heard('w', 3, 'invalidation', 2)).toBe(false)
    expect(peers.heard('w', 6, 'invalidation', 3)).toBe(false)
  })

  it('keeps each peer’s numbers apart', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    peers.heard('a', 10, 'invalidation', 0)
    peers.heard('b', 1, 'invalidation', 0)
    expect(peers.heard('b', 2, 'invalidation', 1)).toBe(false)
    expect(peers.heard('a', 11, 'invalidation', 1)).toBe(false)
  })
})

describe('PeerTracker: silences', () => {
  it('reports a peer silent for longer than silenceMs, once until it is heard again', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    peers.heard('w', 0, 'status', 1000)
    expect(peers.silentAsOf(1000 + SILENCE_MS)).toBe(0) // exactly the limit: not yet
    expect(peers.silentAsOf(1001 + SILENCE_MS)).toBe(1)
    expect(peers.silentAsOf(2000)).toBe(0) // the same silence
    peers.heard('w', 0, 'status', 2100)
    expect(peers.silentAsOf(2100 + SILENCE_MS + 1)).toBe(1) // a new one
  })

  it('counts each silent peer, and only those', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS })
    peers.heard('a', 0, 'status', 0)
    peers.heard('b', 0, 'status', 100)
    peers.heard('c', 0, 'status', 500)
    expect(peers.silentAsOf(450)).toBe(2)
    expect(peers.size).toBe(3)
  })

  it('forgets a peer silent for forgetAfterMs once reported, and one that says bye at once', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS, forgetAfterMs: 1000 })
    peers.heard('crashed', 0, 'status', 0)
    peers.heard('leaving', 0, 'status', 0)
    peers.forget('leaving')
    expect(peers.size).toBe(1)
    // Found silent late (this instance heard nothing of its own meanwhile): reported, not dropped.
    expect(peers.silentAsOf(5000)).toBe(1)
    expect(peers.size).toBe(1)
    expect(peers.silentAsOf(5001)).toBe(0)
    expect(peers.size).toBe(0)
    expect(peers.heard('crashed', 9, 'invalidation', 5002)).toBe(false) // back: a new start
  })

  it('keeps at most maxPeers, forgetting the one heard from least recently', () => {
    const peers = new PeerTracker({ silenceMs: SILENCE_MS, maxPeers: 2 })
    peers.heard('a', 1, 'invalidation', 0)
    peers.heard('b', 1, 'invalidation', 1)
    peers.heard('a', 2, 'invalidation', 2) // a is now the more recent
    peers.heard('c', 1, 'invalidation', 3)
    expect(peers.size).toBe(2)
    expect(peers.heard('a', 4, 'invalidation', 4)).toBe(true) // still tracked: 3 is missing
    expect(peers.heard('b', 9, 'invalidation', 5)).toBe(false) // forgotten: a new start
  })
})
