import { readFile } from 'node:fs/promises'

/** Linux reports CPU time in clock ticks; 100 a second everywhere Node runs in practice. */
const TICKS_PER_SECOND = 100

/**
 * CPU time (user + system, every thread) a process has used so far, in ms, from
 * /proc/<pid>/stat; undefined where there is no /proc (macOS) or the process is gone.
 * Resolution: 10 ms. Set against the requests a server answered in a run, it gives CPU per
 * request: a figure that, unlike req/s, does not move when other processes take the cores.
 */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  let stat: string
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  return parseCpuMs(stat)
}

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in ms. */
export function parseCpuMs(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!(Number.isFinite(utime) && Number.isFinite(stime))) return undefined
  return ((utime + stime) * 1000) / TICKS_PER_SECOND
}
