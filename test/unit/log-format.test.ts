import { Writable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { prettyLogOptions, prettyLogStream } from '../../src/start/log-format.js'

/** What pino-pretty, with these options, prints for one JSON log line. */
async function printed(options: ReturnType<typeof prettyLogOptions>, line: object) {
  let text = ''
  const destination = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk)
      done()
    },
  })
  const stream = await prettyLogStream(options && { ...options, destination })
  stream?.write(`${JSON.stringify(line)}\n`)
  // Each line is printed in one write, once pino-pretty's stream has taken it.
  await vi.waitFor(() => expect(text).not.toBe(''))
  return text
}

describe('the log format', () => {
  it('stays JSON lines off a terminal, whatever the environment says', () => {
    for (const isTTY of [false, undefined]) {
      expect(prettyLogOptions({ isTTY, env: {} })).toBeUndefined()
      expect(prettyLogOptions({ isTTY, env: { NO_COLOR: '1', TERM: 'xterm' } })).toBeUndefined()
    }
  })

  it('is pretty on a terminal, in colour unless NO_COLOR is set or the terminal is dumb', () => {
    expect(prettyLogOptions({ isTTY: true, env: {} })).toMatchObject({ colorize: true })
    expect(prettyLogOptions({ isTTY: true, env: { NO_COLOR: '' } })).toMatchObject({
      colorize: true, // no-color.org: only a value that is not empty counts
    })
    expect(prettyLogOptions({ isTTY: true, env: { NO_COLOR: '1' } })).toMatchObject({
      colorize: false,
    })
    expect(prettyLogOptions({ isTTY: true, env: { TERM: 'dumb' } })).toMatchObject({
      colorize: false,
    })
  })

  it('has no stream to build off a terminal: pino writes its JSON to stdout', async () => {
    expect(await prettyLogStream(undefined)).toBeUndefined()
  })

  it('prints a line a person reads, with the fields under it', async () => {
    const options = prettyLogOptions({ isTTY: true, env: { NO_COLOR: '1' } })
    const text = await printed(options, {
      level: 30,
      time: Date.UTC(2026, 0, 1, 12, 0, 0),
      pid: 1234,
      hostname: 'box',
      reqId: 'req-1',
      msg: 'seeded 20 products',
    })
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: seeded 20 products\n {4}reqId: "req-1"\n$/,
    )
    expect(text).not.toContain('box') // pid and hostname say nothing on one's own machine
  })

  it('sets the generated admin token apart, on a line of its own, once', async () => {
    const options = prettyLogOptions({ isTTY: true, env: { NO_COLOR: '1' } })
    const token = 'abcDEF123-_abcDEF123-_abcDEF123-_'
    const text = await printed(options, {
      level: 40,
      time: Date.now(),
      adminToken: token,
      msg: 'ADMIN_TOKEN is not set: generated one for this run',
    })
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/WARN: ADMIN_TOKEN is not set: generated one for this run$/)
    expect(lines).toContain(`    ADMIN_TOKEN=${token}`)
    expect(text.split(token)).toHaveLength(2) // not repeated among the fields
  })

  it('keeps terminal escapes in a logged message off the terminal', async () => {
    const options = prettyLogOptions({ isTTY: true, env: { NO_COLOR: '1' } })
    const text = await printed(options, {
      level: 30,
      time: Date.now(),
      adminToken: 'token\u001b[2J',
      msg: 'odd \u001b[31mred\u0007',
    })
    expect(text).not.toContain('\u001b')
    expect(text).not.toContain('\u0007')
  })
})
