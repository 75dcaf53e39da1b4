/**
 * What the benchmark is doing, while it does it. On a terminal the current run is one line
 * rewritten in place (a bar, req/s so far); elsewhere (CI logs) only whole lines are written:
 * one when a run ends, so the log stays readable.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #startedAt = Date.now()
  #transient = false
  #run: { label: string; durationMs: number } | undefined

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.#stream = stream
    this.#tty = stream.isTTY === true && process.env.CI !== 'true'
  }

  /** A permanent line, prefixed with the time since the start. */
  log(line: string): void {
    this.#clear()
    this.#stream.write(`[${this.#clock()}] ${line}\n`)
  }

  runStarted(label: string, durationMs: number): void {
    this.#run = { label, durationMs }
    this.#status(`${label} …`)
  }

  runProgress(elapsedMs: number, responses: number): void {
    const run = this.#run
    if (!run) return
    const width = 20
    const share = run.durationMs > 0 ? Math.min(1, elapsedMs / run.durationMs) : 0
    const filled = Math.round(share * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    const rate = elapsedMs > 0 ? Math.round((responses / elapsedMs) * 1000) : 0
    const seconds = `${(elapsedMs / 1000).toFixed(1)}/${(run.durationMs / 1000).toFixed(1)} s`
    this.#status(`${run.label} ${bar} ${seconds} ${rate.toLocaleString('en-US')} req/s`)
  }

  runFinished(summary: string): void {
    const label = this.#run?.label ?? ''
    this.#run = undefined
    this.log(`${label} ${summary}`)
  }

  #status(line: string): void {
    if (!this.#tty) return
    const columns = this.#stream.columns ?? 120
    this.#stream.write(`\r\x1b[K[${this.#clock()}] ${line}`.slice(0, columns + 4))
    this.#transient = true
  }

  #clear(): void {
    if (!this.#transient) return
    this.#stream.write('\r\x1b[K')
    this.#transient = false
  }

  #clock(): string {
    const seconds = Math.floor((Date.now() - this.#startedAt) / 1000)
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  }
}
