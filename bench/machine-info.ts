import { execFile } from 'node:child_process'
import { cpus, freemem, loadavg, release, totalmem } from 'node:os'
import { promisify } from 'node:util'
import type { Redis } from 'ioredis'
import type { MachineInfo } from './results.js'

const run = promisify(execFile)

/** What the figures were measured on: they mean little without it. */
export async function machineInfo(redis: Redis): Promise<MachineInfo> {
  const info = await redis.info('server').catch(() => '')
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  const cores = cpus()
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    node: process.version,
    redis: redisVersion,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}

/** The commit of the checkout under test, and whether src/ differs from it ('unknown' outside git). */
export async function sourceInfo(
  repoRoot: string,
): Promise<{ commit: string; srcDirty: boolean | undefined }> {
  const git = async (...args: string[]) => {
    const { stdout } = await run('git', ['-C', repoRoot, ...args])
    return stdout.trim()
  }
  try {
    const commit = await git('rev-parse', '--short', 'HEAD')
    const status = await git('status', '--porcelain', '--', 'src')
    return { commit, srcDirty: status !== '' }
  } catch {
    return { commit: 'unknown', srcDirty: undefined }
  }
}
