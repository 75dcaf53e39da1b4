/** What the runs did and how long things took, summed over every run of a property. */
export class Figures {
  readonly #statuses = new Map<string, Map<number, number>>()
  readonly #counts = new Map<string, number>()
  readonly #timings = new Map<string, number[]>()

  /** An answer of `status` to a request of `kind`, e.g. ('deferred write', 202). */
  status(kind: string, status: number): void {
    const byStatus = this.#statuses.get(kind) ?? new Map<number, number>()
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    this.#statuses.set(kind, byStatus)
  }

  count(what: string, by = 1): void {
    this.#counts.set(what, (this.#counts.get(what) ?? 0) + by)
  }

  time(what: string, ms: number): void {
    const list = this.#timings.get(what) ?? []
    list.push(ms)
    this.#timings.set(what, list)
  }

  summary(): string {
    const lines: string[] = []
    for (const [kind, byStatus] of [...this.#statuses].sort()) {
      const parts = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`)
      lines.push(`  ${kind}: ${parts.join(' ')}`)
    }
    for (const [what, n] of [...this.#counts].sort()) lines.push(`  ${what}: ${n}`)
    for (const [what, list] of [...this.#timings].sort()) {
      const sorted = [...list].sort((a, b) => a - b)
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
      const ms = (value: number | undefined) => `${Math.round(value ?? 0)} ms`
      lines.push(
        `  ${what}: n=${sorted.length} median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, ` +
          `max ${ms(sorted.at(-1))}`,
      )
    }
    return lines.join('\n')
  }
}
