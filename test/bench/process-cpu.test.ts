import { describe, expect, it } from 'vitest'
import { parseCpuMs, processCpuMs } from '../../bench/process-cpu.js'

describe('parseCpuMs', () => {
  it('adds utime and stime (fields 14 and 15), in ms at 100 ticks a second', () => {
    const stat = '4242 (node) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 37 0 0 20 0 11 0 1000 0 0'
    expect(parseCpuMs(stat)).toBe(2870)
  })

  it('is not fooled by spaces or parentheses in the command name', () => {
    const stat = '7 (my (odd) name) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0'
    expect(parseCpuMs(stat)).toBe(70)
  })

  it('answers undefined for a line it cannot read', () => {
    expect(parseCpuMs('garbage')).toBeUndefined()
  })

  it.runIf(process.platform === 'linux')('reads a live process', async () => {
    expect(await processCpuMs(process.pid)).toBeGreaterThan(0)
    expect(await processCpuMs(2 ** 30)).toBeUndefined()
  })
})
