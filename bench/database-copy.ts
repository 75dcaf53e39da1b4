import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchContext } from './context.js'

/**
 * A copy of the run's seeded SQLite file for one target, as a DATABASE_URL: a scenario whose
 * targets write gives each its own, so one target's writes are not changes made behind the
 * others' backs (which their consistency monitors would rightly report as stale entries).
 * Call it while no process has the run's file open (between scenarios).
 */
export async function databaseCopy(context: BenchContext, name: string): Promise<string> {
  const source = context.databaseUrl.replace(/^sqlite:/, '')
  const target = join(context.workDir, `${name.replace(/[^a-zA-Z0-9_-]/g, '_')}.db`)
  await copyFile(source, target)
  // A process stopped without a checkpoint leaves its last writes in the WAL: copy it too.
  await copyFile(`${source}-wal`, `${target}-wal`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  return `sqlite:${target}`
}
