import type { MessageFormatFunc, PrettyOptions } from 'pino-pretty'

/** Where the decision looks: whether stdout is a terminal, and the environment. */
export interface LogSurroundings {
  isTTY: boolean | undefined
  env: Readonly<Record<string, string | undefined>>
}

/**
 * How the logs are written: JSON lines unless a person is reading them. Off a terminal (a pipe, a
 * file, a container's log, CI, the tests) every line stays one JSON object, for log shippers,
 * `jq` and the tests that parse them: undefined, pino's own output. On a terminal: pino-pretty's
 * lines (time, level, message, then the fields), in colour unless NO_COLOR is set
 * (https://no-color.org) or the terminal is dumb, and the generated admin token on a line of its
 * own under its warning, ready to copy.
 */
export function prettyLogOptions({ isTTY, env }: LogSurroundings): PrettyOptions | undefined {
  if (!isTTY) return undefined
  return {
    colorize: !env.NO_COLOR && env.TERM !== 'dumb',
    translateTime: 'SYS:HH:MM:ss.l',
    // The token is shown by messageFormat; pid and hostname say nothing on one's own machine.
    ignore: 'pid,hostname,adminToken',
    messageFormat: withAdminToken,
    // Written at once, in order with anything else on the terminal, and none lost at exit.
    sync: true,
  }
}

/** The message; under it, the admin token the service generated, when the line carries one. */
const withAdminToken: MessageFormatFunc = (log, messageKey, _levelLabel, { colors }) => {
  const message = withoutControlCharacters(String(log[messageKey] ?? ''))
  const token = log.adminToken
  if (typeof token !== 'string') return message
  const line = `ADMIN_TOKEN=${withoutControlCharacters(token)}`
  return `${message}\n\n    ${colors.bold(colors.yellow(line))}\n`
}

// What pino-pretty strips from a message it formats itself (a formatter function is trusted to):
// terminal escapes in a logged value must not reach the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const withoutControlCharacters = (text: string) => text.replace(CONTROL_CHARACTERS, '')

/**
 * The stream the app logs to for these options: pino-pretty, loaded only when it is used, or
 * undefined for pino's JSON on stdout. In this process rather than in a pino transport's worker
 * thread: a transport takes only options that can be copied to the thread (no formatter function)
 * and needs pino itself, which the service does not depend on (Fastify does); on a terminal there
 * are only the few lines a person reads.
 */
export async function prettyLogStream(
  options: PrettyOptions | undefined,
): Promise<{ write(line: string): void } | undefined> {
  if (options === undefined) return undefined
  const { default: pretty } = await import('pino-pretty')
  return pretty(options)
}
