import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('../scripts/readme.mjs', import.meta.url))

// The README's API reference comes from the doc comments in src/, and its quick start is
// examples/quick-start.mjs: a change to either without `npm run readme` fails here (and the lint).
describe('packages/cache/README.md', () => {
  it('is what scripts/readme.mjs generates from the code and the quick start', () => {
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})
