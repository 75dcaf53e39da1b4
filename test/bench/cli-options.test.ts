import { describe, expect, it } from 'vitest'
import {
  CLUSTER_SCENARIOS,
  isClusterScenario,
  parseBenchOptions,
  SCENARIO_NAMES,
} from '../../bench/cli-options.js'

describe('parseBenchOptions', () => {
  it('runs every scenario, in full, by default', () => {
    expect(parseBenchOptions([])).toMatchObject({
      scenarios: [...SCENARIO_NAMES],
      quick: false,
      rounds: undefined,
      topology: 'standalone',
      outDir: 'bench/results',
    })
  })

  it('takes --topology standalone or cluster', () => {
    expect(parseBenchOptions(['--topology', 'standalone']).topology).toBe('standalone')
    expect(parseBenchOptions(['--topology=cluster'])).toMatchObject({
      topology: 'cluster',
      scenarios: [...SCENARIO_NAMES],
    })
    expect(
      parseBenchOptions(['--topology', 'cluster', '--scenario', 'stampede', '--quick']),
    ).toMatchObject({ topology: 'cluster', scenarios: ['stampede'], quick: true })
    // One scenario the cluster measures is enough; the others run on the one Redis.
    expect(
      parseBenchOptions(['--topology', 'cluster', '--scenario', 'zipf,hot-key']).scenarios,
    ).toEqual(['zipf', 'hot-key'])
  })

  it('measures hot-key and stampede on the cluster, and nothing else', () => {
    expect([...CLUSTER_SCENARIOS]).toEqual(['hot-key', 'stampede'])
    expect(SCENARIO_NAMES.filter(isClusterScenario)).toEqual(['hot-key', 'stampede'])
  })

  it('takes --scenario (repeated or comma-separated), --quick and --rounds', () => {
    const options = parseBenchOptions([
      '--scenario',
      'zipf',
      '--scenario',
      'stampede,zipf',
      '--quick',
      '--rounds',
      '3',
    ])
    expect(options).toMatchObject({ scenarios: ['zipf', 'stampede'], quick: true, rounds: 3 })
  })

  it('names what is wrong', () => {
    expect(() => parseBenchOptions(['--scenario', 'hotkey'])).toThrow(/unknown scenario "hotkey"/)
    expect(() => parseBenchOptions(['--rounds', '0'])).toThrow(/--rounds/)
    expect(() => parseBenchOptions(['--nope'])).toThrow()
  })

  it('refuses an unknown topology, or a cluster with nothing to measure on it', () => {
    expect(() => parseBenchOptions(['--topology', 'sentinel'])).toThrow(
      'unknown --topology "sentinel"; known: standalone, cluster',
    )
    expect(() => parseBenchOptions(['--topology', 'Cluster'])).toThrow(/unknown --topology/)
    expect(() => parseBenchOptions(['--topology', ''])).toThrow(/unknown --topology ""/)
    // parseArgs: a string option needs its value.
    expect(() => parseBenchOptions(['--topology'])).toThrow(/--topology/)
    expect(() => parseBenchOptions(['--topology', 'cluster', '--scenario', 'zipf,expiry'])).toThrow(
      /--topology cluster measures hot-key and stampede only.*\(zipf, expiry\)/,
    )
  })
})
