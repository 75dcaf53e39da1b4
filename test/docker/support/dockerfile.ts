// A small Dockerfile reader for the tests: stages and their instructions, with line
// continuations joined, comments dropped and the global ARG defaults put into FROM.

export interface Instruction {
  /** Upper case, e.g. `RUN`. */
  keyword: string
  /** Everything after the keyword, continuations joined with a space. */
  args: string
}

export interface Stage {
  /** `AS` name, or the stage's index as a string. */
  name: string
  /** The base: an image reference, or the name of an earlier stage. */
  from: string
  instructions: Instruction[]
}

/** The stages of a Dockerfile, in order; the last one is the image that runs. */
export function parseDockerfile(text: string): Stage[] {
  const globalArgs: Record<string, string> = {}
  const stages: Stage[] = []
  for (const { keyword, args } of instructions(text)) {
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/)
      const from = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
        const arg = braced ?? bare ?? ''
        const value = globalArgs[arg]
        if (value === undefined) throw new Error(`FROM uses ${arg}, which has no default`)
        return value
      })
      const isNamed = as?.toUpperCase() === 'AS' && name !== undefined
      stages.push({ name: isNamed ? name : String(stages.length), from, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (stage) stage.instructions.push({ keyword, args })
    else if (keyword === 'ARG') {
      const [name, value = ''] = splitOnce(args, /=/)
      globalArgs[name.trim()] = value.trim()
    }
  }
  return stages
}

function* instructions(text: string): Generator<Instruction> {
  let pending = ''
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue // comments (and parser directives) inside continuations too
    const continued = /\\\s*$/.test(line)
    pending += `${line.replace(/\\\s*$/, '')} `
    if (continued) continue
    const [keyword, args = ''] = splitOnce(pending.trim(), /\s+/)
    pending = ''
    if (keyword !== '') yield { keyword: keyword.toUpperCase(), args: args.trim() }
  }
}

/** An exec-form (`["node", "x.js"]`) or shell-form command as an argv. */
export function commandArgv(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[]
  return ['/bin/sh', '-c', args]
}

/** HEALTHCHECK's options and command, e.g. `--interval=10s CMD ["node", "x.mjs"]`. */
export function parseHealthcheck(args: string): {
  options: Record<string, string>
  argv: string[]
} {
  const match = /^((?:--\S+\s+)*)CMD\s+(.*)$/s.exec(args)
  if (!match) throw new Error(`HEALTHCHECK without CMD: ${args}`)
  const options: Record<string, string> = {}
  for (const option of (match[1] ?? '').trim().split(/\s+/).filter(Boolean)) {
    const [name, value = ''] = splitOnce(option.replace(/^--/, ''), /=/)
    options[name] = value
  }
  return { options, argv: commandArgv((match[2] ?? '').trim()) }
}

/** ENV's `KEY=value` pairs (no quoting: this project's values need none). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of args.split(/\s+/).filter(Boolean)) {
    const [name, value] = splitOnce(pair, /=/)
    if (name === '' || value === undefined) throw new Error(`ENV wants KEY=value pairs: ${args}`)
    env[name] = value
  }
  return env
}

/** COPY's flags (`--from=build`), sources and destination. */
export function parseCopy(args: string): {
  flags: Record<string, string>
  sources: string[]
  destination: string
} {
  const words = args.split(/\s+/).filter(Boolean)
  const flags: Record<string, string> = {}
  while (words[0]?.startsWith('--')) {
    const [name, value = 'true'] = splitOnce((words.shift() as string).slice(2), /=/)
    flags[name] = value
  }
  const destination = words.pop()
  if (destination === undefined || words.length === 0)
    throw new Error(`COPY needs a source: ${args}`)
  return { flags, sources: words, destination }
}

/** Splits at the first match only: `a=b=c` -> [`a`, `b=c`]; no match -> [text]. */
function splitOnce(text: string, separator: RegExp): [string, string?] {
  const match = separator.exec(text)
  if (!match) return [text]
  return [text.slice(0, match.index), text.slice(match.index + match[0].length)]
}
