import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toolAvailable } from './support/tools.js'

const PROMETHEUS_CONFIG = new URL('../../docker/prometheus.yml', import.meta.url).pathname

function promtoolCheckConfig(file: string) {
  const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

describe.skipIf(!toolAvailable('promtool'))('promtool check config', () => {
  it('accepts docker/prometheus.yml', () => {
    const { status, output } = promtoolCheckConfig(PROMETHEUS_CONFIG)
    expect(output).toContain('SUCCESS')
    expect(status, output).toBe(0)
  })

  it('refuses a broken config (so the check above can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promtool-'))
    try {
      const file = join(dir, 'prometheus.yml')
      // A scrape timeout longer than the interval: Prometheus refuses it at load.
      await writeFile(
        file,
        'scrape_configs:\n  - job_name: api\n    scrape_interval: 1s\n    scrape_timeout: 5s\n',
      )
      expect(promtoolCheckConfig(file).status).not.toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
