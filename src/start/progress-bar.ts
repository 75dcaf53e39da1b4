/** A one-line progress bar for a TTY; a no-op elsewhere so logs stay clean. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stdout) {
  if (!stream.isTTY) return undefined
  const width = 30
  return (done: number, total: number) => {
    const ratio = total === 0 ? 1 : done / total
    const filled = Math.round(ratio * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    stream.write(`\r${label} ${bar} ${done}/${total}`)
    if (done >= total) stream.write('\n')
  }
}
