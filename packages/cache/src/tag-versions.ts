/**
 * Where tag versions live (a Redis hash today). Both calls first raise each stored version to
 * at least the caller's copy, so versions lost with the store are re-created, never restarted.
 */
export interface TagStore {
  /** Every tag's version, after raising the stored ones to `known`. */
  sync(known: Readonly<Record<string, number>>): Promise<Record<string, number>>
  /** Moves each tag's version on by one, from at least `known`; answers the new versions. */
  bump(
    tags: readonly string[],
    known: Readonly<Record<string, number>>,
  ): Promise<Record<string, number>>
}

type Versions = Readonly<Record<string, number>>

/**
 * This instance's copy of the tag versions. Invalidating a tag is one HINCRBY, O(1) however
 * many entries carry it: an entry records its tags' versions when its load began, and is
 * outdated once any of them has moved on. No SCAN, no list of members to delete.
 *
 * The copy is replaced, never mutated, so a load can keep the snapshot it started with.
 */
export class TagVersions {
  #versions: Versions = {}
  readonly #store: TagStore

  constructor(store: TagStore) {
    this.#store = store
  }

  get snapshot(): Versions {
    return this.#versions
  }

  /** The versions to record in an entry for `tags`, from the snapshot taken before its load. */
  static stamp(snapshot: Versions, tags: readonly string[]): Versions {
    return Object.fromEntries(tags.map((tag) => [tag, snapshot[tag] ?? 0]))
  }

  /** Whether an entry stamped with `stamped` is still current. */
  isCurrent(stamped: Versions | undefined): boolean {
    if (stamped === undefined) return true
    for (const tag in stamped) {
      if ((this.#versions[tag] ?? 0) > (stamped[tag] ?? 0)) return false
    }
    return true
  }

  async refresh(): Promise<void> {
    this.observe(await this.#store.sync(this.#versions))
  }

  async invalidate(tags: readonly string[]): Promise<Versions> {
    const bumped = await this.#store.bump(tags, this.#versions)
    this.observe(bumped)
    return bumped
  }

  /** Takes newer versions (from Redis or another instance's message); never goes back. */
  observe(versions: Versions): void {
    let next: Record<string, number> | undefined
    for (const [tag, version] of Object.entries(versions)) {
      if (version > (this.#versions[tag] ?? 0)) {
        next ??= { ...this.#versions }
        next[tag] = version
      }
    }
    if (next) this.#versions = next
  }
}
