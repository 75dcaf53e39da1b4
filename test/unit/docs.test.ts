import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CONFIG_TABLE = join(ROOT, 'scripts/config-table.mjs')
const CHECK_LINKS = join(ROOT, 'scripts/check-links.mjs')

function run(script: string, args: string[] = []) {
  return spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: 'utf8' })
}

const scratch = mkdtempSync(join(tmpdir(), 'docs-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function write(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

// The same checks `npm run lint` runs: a schema change without `npm run docs`, or a link to a
// page or heading that is gone, fails here too.
describe('docs/CONFIGURATION.md', () => {
  it('holds the table scripts/config-table.mjs generates from src/config.ts', () => {
    const result = run(CONFIG_TABLE, ['--check'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('is reported stale, naming the variable, when a row differs from the schema', () => {
    const page = join(scratch, 'CONFIGURATION.md')
    const current = readFileSync(join(ROOT, 'docs/CONFIGURATION.md'), 'utf8')
    write(page, current.replace(/^\| `PORT` *\| `8000`/m, '| `PORT` | `8080`'))
    const result = run(CONFIG_TABLE, ['--check', '--page', page])
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('the rows of PORT differ')
  })
})

describe('links in README.md, docs/ and packages/cache/README.md', () => {
  it('all resolve: files, anchors and repository paths', () => {
    const result = run(CHECK_LINKS)
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('reports a missing file, a missing heading and a missing path; slugs as GitHub does', () => {
    const root = join(scratch, 'checkout')
    write(
      join(root, 'README.md'),
      [
        '# Title',
        '',
        '[ok](docs/A.md#cachet-options--more) [ok](#title) [external](https://example.com)',
        '[gone](docs/B.md) [no heading](docs/A.md#nothing) `src/none.ts`',
        '',
        '```sh',
        '[not a link in code](docs/C.md)',
        '```',
        '',
      ].join('\n'),
    )
    write(join(root, 'docs/A.md'), '# A\n\n## `Cache<T>` options & more\n')
    write(join(root, 'packages/cache/README.md'), '# Package\n\n[back](../../README.md#title)\n')
    const result = run(CHECK_LINKS, ['--root', root])
    expect(result.status).toBe(1)
    const broken = result.stderr.split('\n').filter((line) => line.includes('README.md:'))
    expect(broken).toEqual([
      'check-links: README.md:4: docs/B.md: no such file',
      'check-links: README.md:4: docs/A.md#nothing: no heading #nothing in docs/A.md',
      'check-links: README.md:4: `src/none.ts` is not in the repository',
    ])
    expect(result.stdout).toContain('skipped (not fetched) https://example.com')
  })
})
