/**
 * The read/write race of cache-aside, made to happen on every key rather than hoped for: the
 * in-process, library-level form of test/cluster/race.test.ts, with the gates of
 * test/cache/cache-fencing.test.ts. Two instances of one library share Redis (and its bus):
 *
 *   1. the reader asks for every key (cold); each load reads its row from the "database" (v1)
 *      and then waits at a gate;
 *   2. once every load has read its row, the writer updates every row (v2) and deletes its key
 *      through the library (the usual write path: database first, then invalidate);
 *   3. the gate opens: every load returns v1, read before the write, and the library stores
 *      it, or not;
 *   4. after a quiet moment (for the bus), both instances read every key; a key is stale when
 *      either answers something else than the database holds.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { LibraryCache } from './adapters.js'

export interface Row {
  id: string
  version: number
  name: string
}

export interface RaceOptions {
  /** Keys raced at once; each its own load, write and delete. */
  keys: number
  /** Part of every key, so that each race starts cold. */
  keyPrefix: string
  /** After the race, before the check: longer than an invalidation takes to cross the bus. */
  quietMs: number
  /** How long the loads get to reach the database before the race is called off. */
  readTimeoutMs?: number
}

export interface RaceResult {
  keys: number
  /** Keys where an instance answered another version than the database's after the race. */
  staleKeys: number
  /** Loader calls while the reader's loads were held (one per key expected). */
  racedLoads: number
  /** Reads during the race that failed (a library that throws on a fenced or slow load). */
  readErrors: number
}

/** A promise to resolve from outside, as a gate. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

export async function raceReadsAgainstWrites(
  reader: LibraryCache<Row>,
  writer: LibraryCache<Row>,
  options: RaceOptions,
): Promise<RaceResult> {
  const ids = Array.from({ length: options.keys }, (_, index) => `${options.keyPrefix}${index}`)
  const database = new Map<string, Row>(ids.map((id) => [id, { id, version: 1, name: 'v1' }]))
  const current = (id: string) => database.get(id) as Row

  // 1. Every load reads its row, then waits at the gate.
  const held = gate()
  const allRead = gate()
  let racedLoads = 0
  const heldLoader = (id: string) => async () => {
    const row = current(id)
    if (++racedLoads === ids.length) allRead.open()
    await held.opened
    return row
  }
  let readErrors = 0
  const reads = ids.map((id) =>
    reader.getOrSet(id, heldLoader(id)).catch(() => {
      readErrors++
    }),
  )
  const timeoutMs = options.readTimeoutMs ?? 10_000
  const timedOut = await Promise.race([
    allRead.opened.then(() => false),
    sleep(timeoutMs).then(() => true),
  ])
  if (timedOut) {
    held.open()
    await Promise.all(reads)
    throw new Error(
      `${reader.library}: ${racedLoads} of ${ids.length} loads reached the database in ${timeoutMs} ms`,
    )
  }

  // 2. The writer's write path, for every key: the database, then the cache.
  await Promise.all(
    ids.map(async (id) => {
      database.set(id, { id, version: 2, name: 'v2' })
      await writer.delete(id)
    }),
  )

  // 3. The held loads answer what they read before the write.
  held.open()
  await Promise.all(reads)
  await sleep(options.quietMs)

  // 4. What each instance serves now, against the database.
  const fresh = (id: string) => async () => current(id)
  let staleKeys = 0
  await Promise.all(
    ids.map(async (id) => {
      const served = await Promise.all([
        reader.getOrSet(id, fresh(id)),
        writer.getOrSet(id, fresh(id)),
      ])
      if (served.some((row) => row.version !== current(id).version)) staleKeys++
    }),
  )
  return { keys: ids.length, staleKeys, racedLoads, readErrors }
}
