import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, trustProxy } from '../../src/config.js'
import { deriveAdminKey } from '../../src/http/plugins/admin-auth.js'
import {
  BOARD_SESSION_COOKIE,
  BOARD_SESSION_KEY_PURPOSE,
  BOARD_SESSION_MAX_AGE_SECONDS,
  type BoardSession,
  signBoardSession,
} from '../../src/http/plugins/queue-board.js'
import { ADMIN_TOKEN, auth, startTestApp, type TestApp } from '../support/app.js'

// The queue board's session (issue 16, item 6): `?token=` opens a signed, expiring session whose
// cookie holds no token; and TRUST_PROXY, which decides whether X-Forwarded-Proto (the cookie's
// Secure) and X-Forwarded-For (the rate limits' client) are believed.

const BOARD = '/admin/queues'
const BOARD_API = `${BOARD}/api/queues`
const STATIC_FILE = `${BOARD}/static/images/logo.svg`
const OTHER_TOKEN = 'another-admin-token-0123456789abcdefghijklmnop'
// Addresses from the documentation ranges (RFC 5737); `inject` comes from 127.0.0.1 unless told.
const CLIENT_A = '203.0.113.7'
const CLIENT_B = '198.51.100.9'

interface SetCookie {
  name: string
  value: string
  attributes: string[]
}

function setCookies(response: LightMyRequestResponse): SetCookie[] {
  const header = response.headers['set-cookie']
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header]
  return lines.map((line) => {
    const [pair = '', ...attributes] = line.split('; ')
    const separator = pair.indexOf('=')
    return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes }
  })
}

function sessionCookie(response: LightMyRequestResponse): SetCookie {
  const found = setCookies(response).find((cookie) => cookie.name === BOARD_SESSION_COOKIE)
  if (!found) throw new Error(`no ${BOARD_SESSION_COOKIE} cookie set`)
  return found
}

function expectRefused(response: LightMyRequestResponse) {
  expect(response.statusCode).toBe(401)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.headers['www-authenticate']).toBe('Bearer')
  expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized' })
}

const session = (expires: number): BoardSession => ({ id: 'test-session', expires })
const signedUnder = (token: string, value: BoardSession, purpose = BOARD_SESSION_KEY_PURPOSE) =>
  signBoardSession(deriveAdminKey(token, purpose), value)
const inAnHour = () => Date.now() + 60 * 60 * 1000
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The last base64url character with a spare bit set: decoded, the same bytes. */
const sameBytes = (last: string) => BASE64URL[BASE64URL.indexOf(last) ^ 1] as string
const held = (value: string) =>
  JSON.parse(Buffer.from(value.split('.')[0] ?? '', 'base64url').toString()) as BoardSession

describe('the queue board session', () => {
  let t: TestApp
  beforeAll(async () => {
    // Its refusals would otherwise count towards the failure limit, all from one client.
    t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '0' })
  })
  afterAll(() => t.close())

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers })
  const withSession = (value: string) => ({ cookie: `${BOARD_SESSION_COOKIE}=${value}` })
  const login = async (app = t, token = ADMIN_TOKEN) => {
    const opened = await app.app.inject({ method: 'GET', url: `${BOARD}?token=${token}` })
    expect(opened.statusCode).toBe(303)
    return sessionCookie(opened).value
  }

  it('opens with ?token=: a signed session cookie that holds no token, and the token leaves the URL', async () => {
    const before = Date.now()
    const opened = await get(`${BOARD}/queue/catalog?status=failed&token=${ADMIN_TOKEN}`)
    expect(opened.statusCode).toBe(303)
    expect(opened.headers.location).toBe(`${BOARD}/queue/catalog?status=failed`)
    expect(opened.headers['cache-control']).toBe('no-store')
    expect(opened.headers['referrer-policy']).toBe('no-referrer')

    const cookie = sessionCookie(opened)
    expect(cookie.attributes.sort()).toEqual(
      [
        'HttpOnly',
        `Max-Age=${BOARD_SESSION_MAX_AGE_SECONDS}`,
        'Path=/admin/queues',
        'SameSite=Strict',
      ].sort(),
    )
    expect(BOARD_SESSION_MAX_AGE_SECONDS).toBe(8 * 60 * 60)
    // No token inside, in any spelling: raw, URL-encoded or base64(url).
    for (const spelling of [
      ADMIN_TOKEN,
      encodeURIComponent(ADMIN_TOKEN),
      Buffer.from(ADMIN_TOKEN).toString('base64url'),
      Buffer.from(ADMIN_TOKEN).toString('base64'),
    ]) {
      expect(cookie.value).not.toContain(spelling)
    }
    // What it does hold: an id and an expiry 8 hours on, then the signature.
    const [payload = '', signature, ...more] = cookie.value.split('.')
    expect(more).toEqual([])
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/) // HMAC-SHA256, base64url
    expect(payload).not.toBe('')
    const { expires, ...others } = held(cookie.value)
    expect(Object.keys(others)).toEqual(['id'])
    expect(expires).toBeGreaterThanOrEqual(before + BOARD_SESSION_MAX_AGE_SECONDS * 1000)
    expect(expires).toBeLessThanOrEqual(Date.now() + BOARD_SESSION_MAX_AGE_SECONDS * 1000)

    // The cookie an older version set, the token itself, is cleared.
    const legacy = setCookies(opened).find((c) => c.name === 'admin_token')
    expect(legacy).toMatchObject({ value: '' })
    expect(legacy?.attributes).toEqual(expect.arrayContaining(['Path=/admin', 'Max-Age=0']))
  })

  it('lets the session open the page, its API and its files', async () => {
    const value = await login()
    const cookie = { cookie: `theme=dark; ${BOARD_SESSION_COOKIE}=${value}` }
    const page = await get(`${BOARD}/queue/catalog?status=failed`, cookie)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect((await get(BOARD_API, cookie)).statusCode).toBe(200)
    expect((await get(STATIC_FILE, cookie)).statusCode).toBe(200)
  })

  it('opens a new session at each login (a random id in each)', async () => {
    const [first, second] = [held(await login()), held(await login())]
    expect(first.id).toMatch(/^[A-Za-z0-9_-]{16,}$/)
    expect(first.id).not.toBe(second.id)
  })

  it('sets no cookie for a bearer request: the header is its credential each time', async () => {
    const page = await get(BOARD, auth)
    expect(page.statusCode).toBe(200)
    expect(page.headers['set-cookie']).toBeUndefined()
  })

  it('refuses a session whose payload or signature was touched', async () => {
    const value = await login()
    const [payload = '', signature = ''] = value.split('.')
    // Control: the untouched cookie is accepted, so each refusal below is the tampering's doing.
    expect((await get(BOARD_API, withSession(value))).statusCode).toBe(200)

    // A longer session: the payload re-encoded, the signature kept.
    const { id, expires } = held(value)
    const longer = Buffer.from(JSON.stringify({ id, expires: expires + 3_600_000 }))
    const flip = (text: string, at: number) =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
    const tampered = [
      `${longer.toString('base64url')}.${signature}`,
      `${flip(payload, 5)}.${signature}`,
      `${payload}.${flip(signature, 10)}`,
      // The same bytes spelled otherwise: the last of 43 characters carries 2 spare bits (zero
      // as signed), and a decoder ignores them. Compared as written, it is refused.
      `${payload}.${signature.slice(0, -1)}${sameBytes(signature.slice(-1))}`,
      `${payload}.${signature}A`,
      `${payload}.${signature.slice(0, -1)}`,
      `${payload}.`,
      payload,
      `.${signature}`,
      '',
    ]
    for (const cookie of tampered) expectRefused(await get(BOARD_API, withSession(cookie)))
  })

  it('refuses an expired session, and one longer than a session lasts', async () => {
    // Control: the test's signer is the app's (same token, same purpose): a running one opens.
    expect(
      (await get(BOARD_API, withSession(signedUnder(ADMIN_TOKEN, session(inAnHour()))))).statusCode,
    ).toBe(200)
    expectRefused(
      await get(BOARD_API, withSession(signedUnder(ADMIN_TOKEN, session(Date.now() - 1000)))),
    )
    const tooLong = Date.now() + (BOARD_SESSION_MAX_AGE_SECONDS + 60) * 1000
    expectRefused(await get(BOARD_API, withSession(signedUnder(ADMIN_TOKEN, session(tooLong)))))
  })

  it('refuses a session signed under another admin token, or for another purpose', async () => {
    expectRefused(await get(BOARD_API, withSession(signedUnder(OTHER_TOKEN, session(inAnHour())))))
    expectRefused(
      await get(BOARD_API, withSession(signedUnder(ADMIN_TOKEN, session(inAnHour()), 'other'))),
    )
    // The same as an operator sees it: a session opened before ADMIN_TOKEN changed.
    const other = await startTestApp({ ADMIN_TOKEN: OTHER_TOKEN })
    try {
      const value = await login(other, OTHER_TOKEN)
      const cookie = withSession(value)
      expect(
        (await other.app.inject({ method: 'GET', url: BOARD_API, headers: cookie })).statusCode,
      ).toBe(200)
      expectRefused(await get(BOARD_API, cookie))
    } finally {
      await other.close()
    }
  })

  it('refuses the raw token as a cookie (what the board set before sessions)', async () => {
    expectRefused(await get(BOARD_API, { cookie: `admin_token=${ADMIN_TOKEN}` }))
    expectRefused(await get(BOARD_API, withSession(ADMIN_TOKEN)))
    expectRefused(await get(BOARD_API, withSession(encodeURIComponent(ADMIN_TOKEN))))
  })

  it('refuses a wrong bearer header even with a valid session, as before', async () => {
    const value = await login()
    expectRefused(
      await get(BOARD_API, {
        ...withSession(value),
        authorization: 'Bearer not-the-admin-token-but-32-characters-long',
      }),
    )
  })
})

describe('TRUST_PROXY', () => {
  const loginOver = (t: TestApp, headers: Record<string, string>, remoteAddress?: string) =>
    t.app.inject({ method: 'GET', url: `${BOARD}?token=${ADMIN_TOKEN}`, headers, remoteAddress })
  const https = { 'x-forwarded-proto': 'https' }

  describe('unset', () => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ AUTH_FAILURES_PER_MINUTE: '2' })
    })
    afterAll(() => t.close())

    it('ignores X-Forwarded-Proto: no Secure cookie on plain http', async () => {
      expect(sessionCookie(await loginOver(t, https)).attributes).not.toContain('Secure')
    })

    it('ignores X-Forwarded-For: the rate limits count the peer, whatever it claims', async () => {
      const proxy = CLIENT_B
      const bump = (headers: Record<string, string>, client: string) =>
        t.app.inject({
          method: 'POST',
          url: '/cache/version',
          headers: { ...headers, 'x-forwarded-for': client },
          remoteAddress: proxy,
        })
      const wrong = { authorization: 'Bearer not-the-admin-token-but-32-characters-long' }
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(401)
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(401)
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(429)
      // Another client behind the same peer is that peer: refused too.
      expect((await bump(auth, '192.0.2.1')).statusCode).toBe(429)
    })
  })

  describe('set to the proxy address (127.0.0.1)', () => {
    let t: TestApp
    beforeAll(async () => {
      t = await startTestApp({ TRUST_PROXY: '127.0.0.1', AUTH_FAILURES_PER_MINUTE: '2' })
    })
    afterAll(() => t.close())

    it('believes its X-Forwarded-Proto: Secure over https, not over http', async () => {
      expect(sessionCookie(await loginOver(t, https)).attributes).toContain('Secure')
      const legacy = setCookies(await loginOver(t, https)).find((c) => c.name === 'admin_token')
      expect(legacy?.attributes).toContain('Secure')
      expect(
        sessionCookie(await loginOver(t, { 'x-forwarded-proto': 'http' })).attributes,
      ).not.toContain('Secure')
      expect(sessionCookie(await loginOver(t, {})).attributes).not.toContain('Secure')
    })

    it('believes no one else: a client connecting directly cannot claim https', async () => {
      expect(sessionCookie(await loginOver(t, https, CLIENT_A)).attributes).not.toContain('Secure')
    })

    it("counts each client behind the proxy apart (X-Forwarded-For's client)", async () => {
      const bump = (headers: Record<string, string>, client: string) =>
        t.app.inject({
          method: 'POST',
          url: '/cache/version',
          headers: { ...headers, 'x-forwarded-for': client },
        })
      const wrong = { authorization: 'Bearer not-the-admin-token-but-32-characters-long' }
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(401)
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(401)
      expect((await bump(wrong, CLIENT_A)).statusCode).toBe(429)
      expect((await bump(auth, CLIENT_A)).statusCode).toBe(429)
      // The same proxy, another client: not the one refused.
      expect((await bump(auth, '192.0.2.1')).statusCode).toBe(200)
    })
  })

  describe('parsing', () => {
    const parse = (value: string | undefined) =>
      trustProxy(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }))

    it('is false unset, else true, false, or a list of addresses and ranges', () => {
      expect(parse(undefined)).toBe(false)
      expect(parse('')).toBe(false)
      expect(parse('false')).toBe(false)
      expect(parse('true')).toBe(true)
      expect(parse('10.0.0.1')).toEqual(['10.0.0.1'])
      expect(parse('10.0.0.0/8, 172.16.0.0/12,::1,fd00::/8,loopback,uniquelocal')).toEqual([
        '10.0.0.0/8',
        '172.16.0.0/12',
        '::1',
        'fd00::/8',
        'loopback',
        'uniquelocal',
      ])
    })

    it.each([
      ['1', /TRUST_PROXY="1": a hop count is not accepted/],
      ['0', /a hop count is not accepted/],
      ['yes', /TRUST_PROXY="yes": "yes" is not an IP address or CIDR range: must be true, false/],
      ['TRUE', /"TRUE" is not an IP address/],
      ['10.0.0.300', /"10.0.0.300" is not an IP address/],
      ['10.0.0.0/33', /"10.0.0.0\/33" is not an IP address/],
      ['::1/129', /"::1\/129" is not/],
      ['10.0.0.0/8/8', /is not an IP address/],
      ['10.0.0.0/255.0.0.0', /is not an IP address/],
      ['10.0.0.1,', /"" is not an IP address/],
      [
        '10.0.0.1,proxy.internal,x',
        /"proxy.internal", "x" are not IP addresses or CIDR ranges: must be/,
      ],
    ])('refuses TRUST_PROXY=%s with a message in words', (value, message) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError)
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(message)
    })
  })
})
