import { once } from 'node:events'
import { type AddressInfo, connect } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { credentialRedaction, withoutToken } from '../../src/http/plugins/admin-auth.js'
import { BOARD_SESSION_COOKIE } from '../../src/http/plugins/queue-board.js'
import { ADMIN_TOKEN, auth, startTestApp, type TestApp } from '../support/app.js'

// The admin token never reaches a log line (issue 16, item 6): not from a board link's ?token=,
// a bearer header or the board's session cookie, at the levels that log every request.

const BOARD = '/admin/queues'
// A near miss of the token is as secret as the token: a typo of it, or a guess close to it.
const NEAR_MISS = `${ADMIN_TOKEN.slice(0, -1)}X`

type LogLine = Record<string, unknown>

describe('the request log, at the levels that log every request', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it.each(['debug', 'trace'])(
    'never holds the token or the session cookie at LOG_LEVEL=%s',
    async (level) => {
      const raw: string[] = []
      t = await startTestApp({ LOG_LEVEL: level }, undefined, {
        logStream: { write: (line) => raw.push(line) },
      })
      const { app } = t
      const get = (url: string, headers: Record<string, string> = {}) =>
        app.inject({ method: 'GET', url, headers })

      // The board's link, in the spellings the board reads: each opens a session.
      const logins = await Promise.all([
        get(`${BOARD}/queue/catalog?status=failed&token=${ADMIN_TOKEN}`),
        get(`${BOARD}?to%6Ben=${ADMIN_TOKEN}`),
      ])
      for (const login of logins) expect(login.statusCode).toBe(303)
      const cookie = String(logins[0]?.headers['set-cookie']).split(';')[0] ?? ''
      const [, session = ''] = cookie.split('=')
      const signature = session.split('.')[1] ?? ''
      expect(signature).toHaveLength(43)

      expect((await get(`${BOARD}?token=${NEAR_MISS}`)).statusCode).toBe(401)
      expect((await get(BOARD, auth)).statusCode).toBe(200)
      expect(
        (await app.inject({ method: 'POST', url: '/cache/version', headers: auth })).statusCode,
      ).toBe(200)
      expect(
        (await get(`${BOARD}/api/queues`, { cookie: `theme=dark; ${cookie}` })).statusCode,
      ).toBe(200)
      // Elsewhere too: a link pasted onto the wrong path, and a request that fails validation.
      expect((await get(`/admin/queue?token=${ADMIN_TOKEN}`)).statusCode).toBe(404)
      expect((await get(`/products/abc?token=${ADMIN_TOKEN}`)).statusCode).toBe(400)
      expect((await get(`/products/1?token=${ADMIN_TOKEN}`, auth)).statusCode).toBe(200)
      expect((await get(`/products/%zz?token=${ADMIN_TOKEN}`)).statusCode).toBe(400)

      const log = raw.join('')
      const lines = raw.map((line) => JSON.parse(line) as LogLine)
      // Control: the requests were logged, their URLs with them, so what is absent was redacted.
      const urls = lines
        .filter((line) => line.msg === 'incoming request')
        .map((line) => (line.req as { url: string }).url)
      expect(urls).toEqual(
        expect.arrayContaining([
          `${BOARD}/queue/catalog?status=failed&token=[redacted]`,
          `${BOARD}?to%6Ben=[redacted]`,
          `${BOARD}?token=[redacted]`,
          `/admin/queue?token=[redacted]`,
          `/products/abc?token=[redacted]`,
          `/products/1?token=[redacted]`,
        ]),
      )
      expect(lines.filter((line) => line.msg === 'request completed')).toHaveLength(urls.length)
      expect(lines.filter((line) => line.msg === 'queue board session opened')).toHaveLength(2)

      for (const secret of [ADMIN_TOKEN, NEAR_MISS, ADMIN_TOKEN.slice(0, 24), session, signature]) {
        expect(log).not.toContain(secret)
      }
      expect(log).not.toMatch(/bearer/i)
      expect(log).not.toContain(BOARD_SESSION_COOKIE)
    },
  )
})

describe('a request Node cannot parse, logged at trace', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('is logged without its bytes, which hold its URL and headers', async () => {
    const raw: string[] = []
    t = await startTestApp({ LOG_LEVEL: 'trace' }, undefined, {
      logStream: { write: (line) => raw.push(line) },
    })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    socket.resume()
    await once(socket, 'connect')
    // A header line without a colon: Node's parser gives up, Fastify answers 400 and logs it.
    socket.end(
      `GET ${BOARD}?token=${ADMIN_TOKEN} HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nNot a header\r\n\r\n`,
    )
    await once(socket, 'close')

    const failures = raw
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'client error')
    // Control: the line is there, with the error Node gave (its raw packet, censored).
    expect(failures).toHaveLength(1)
    expect(failures[0]?.err).toMatchObject({
      code: 'HPE_INVALID_HEADER_TOKEN',
      rawPacket: '[redacted]',
    })
    const log = raw.join('')
    expect(log).not.toContain(ADMIN_TOKEN)
    expect(log).not.toContain(Buffer.from(ADMIN_TOKEN).toJSON().data.join(','))
  })
})

describe('withoutToken', () => {
  it.each([
    ['/products/1', '/products/1'],
    ['/admin/queues', '/admin/queues'],
    ['/admin/queues?token=abc', '/admin/queues?token=[redacted]'],
    ['/a?x=1&token=abc&y=2', '/a?x=1&token=[redacted]&y=2'],
    ['/a?token=abc&token=def', '/a?token=[redacted]&token=[redacted]'],
    ['/a?to%6Ben=abc', '/a?to%6Ben=[redacted]'],
    ['/a?%74oken=abc%20d', '/a?%74oken=[redacted]'],
    ['/a?token', '/a?token=[redacted]'],
    ['/a?token=a=b', '/a?token=[redacted]'],
    ['/a?tokens=abc&x=token&my_token=abc', '/a?tokens=abc&x=token&my_token=abc'],
    ['/a?x=%zz&token=abc', '/a?x=%zz&token=[redacted]'],
  ])('logs %s as %s', (url, logged) => {
    expect(withoutToken(url)).toBe(logged)
  })
})

describe('the redaction of credential headers', () => {
  it('censors Authorization, Cookie and Set-Cookie, should a serializer ever log them', () => {
    const raw: string[] = []
    const app = Fastify({
      logger: { ...credentialRedaction, stream: { write: (line: string) => raw.push(line) } },
    })
    // A logger whose serializers pass headers through, as a future one might.
    const verbose = app.log.child({}, { serializers: { req: (req) => req, res: (res) => res } })
    verbose.info({
      req: {
        url: '/',
        headers: { authorization: auth.authorization, cookie: 'board_session=s.sig' },
      },
      res: { statusCode: 303, headers: { 'set-cookie': 'board_session=s.sig; HttpOnly' } },
    })
    const [line] = raw.map((text) => JSON.parse(text))
    expect(line.req.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' })
    expect(line.res.headers).toEqual({ 'set-cookie': '[redacted]' })
    expect(raw.join('')).not.toContain(ADMIN_TOKEN)
  })
})
