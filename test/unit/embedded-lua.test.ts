import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

// The Redis scripts are read from TypeScript modules generated from the .lua files (so the
// compiled code reads no file at import). Tests run the source: a .lua edited without a build
// would be tested on its old text. This catches that.
describe('embedded Redis scripts', () => {
  it('match their .lua files (run `npm run build` after editing one)', () => {
    const check = spawnSync(
      process.execPath,
      [
        'packages/cache/scripts/embed-lua.mjs',
        '--check',
        'packages/cache/src/redis',
        'src/write-behind',
      ],
      { encoding: 'utf8' },
    )
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })
})
