import { describe, expect, it } from 'vitest'
import { parseBenchOptions, SCENARIO_NAMES } from '../../bench/cli-options.js'

describe('parseBenchOptions', () => {
  it('runs every scenario, in full, by default', () => {
    expect(parseBenchOptions([])).toMatchObject({
      scenarios: [...SCENARIO_NAMES],
      quick: false,
      rounds: undefined,
      outDir: 'bench/results',
    })
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
})
