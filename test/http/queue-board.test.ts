import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, auth, startTestApp, type TestApp } from '../support/app.js'

const BOARD = '/admin/queues'
const BOARD_API = `${BOARD}/api/queues`
// The board's favicon, one of the static files it serves.
const STATIC_FILE = `${BOARD}/static/images/logo.svg`

function expectRefused(response: LightMyRequestResponse) {
  expect(response.statusCode).toBe(401)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.headers['www-authenticate']).toBe('Bearer')
  expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized' })
}

describe('the queue board at /admin/queues', () => {
  let t: TestApp
  beforeAll(async () => {
    // A generous Redis timeout: a loaded machine must not fail the clean-up's SCAN.
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers })

  it('refuses the page, its API and its files without a token', async () => {
    for (const url of [BOARD, `${BOARD}/`, `${BOARD}/queue/catalog`, BOARD_API, STATIC_FILE]) {
      expectRefused(await get(url))
    }
    expectRefused(await t.app.inject({ method: 'PUT', url: `${BOARD}/api/queues/pause` }))
  })

  it('refuses a wrong bearer token or a wrong cookie', async () => {
    expectRefused(await get(BOARD, { authorization: 'Bearer not-the-token' }))
    expectRefused(await get(BOARD_API, { cookie: 'admin_token=not-the-token' }))
    expectRefused(await get(BOARD_API, { cookie: `other=${ADMIN_TOKEN}` }))
  })

  it('serves the page, its API and its files with the bearer token', async () => {
    const page = await get(BOARD, auth)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    // The UI finds its API and files under the base path.
    expect(page.body).toContain(`${BOARD}/`)

    const api = await get(BOARD_API, auth)
    expect(api.statusCode).toBe(200)
    const { queues } = api.json() as { queues: Array<{ name: string }> }
    expect(queues.map((queue) => queue.name)).toEqual(['catalog'])

    expect((await get(STATIC_FILE, auth)).statusCode).toBe(200)
  })

  it('turns ?token= into a session cookie for /admin/queues and strips it', async () => {
    const opened = await get(`${BOARD}/queue/catalog?status=failed&token=${ADMIN_TOKEN}`)
    expect(opened.statusCode).toBe(303)
    expect(opened.headers.location).toBe(`${BOARD}/queue/catalog?status=failed`)
    expect(opened.headers['cache-control']).toBe('no-store')

    // A signed session, never the token (test/http/board-session.test.ts has the details).
    const [setCookie] = [opened.headers['set-cookie']].flat()
    const [pair = '', ...attributes] = String(setCookie).split('; ')
    expect(pair).toMatch(/^board_session=/)
    expect(pair).not.toContain(ADMIN_TOKEN)
    expect(attributes).toEqual(
      expect.arrayContaining(['Path=/admin/queues', 'HttpOnly', 'SameSite=Strict']),
    )
    expect(attributes).not.toContain('Secure') // plain http here; set over https

    const cookie = { cookie: `theme=dark; ${pair}` }
    expect((await get(`${BOARD}/queue/catalog?status=failed`, cookie)).statusCode).toBe(200)
    expect((await get(BOARD_API, cookie)).statusCode).toBe(200)
  })

  it('refuses a wrong ?token= without setting a cookie', async () => {
    const opened = await get(`${BOARD}?token=not-the-token`)
    expectRefused(opened)
    expect(opened.headers['set-cookie']).toBeUndefined()
  })

  it("runs the board's own body-validated routes under the app's strict validator", async () => {
    const add = (body: object) =>
      t.app.inject({
        method: 'POST',
        url: `${BOARD_API}/catalog/add`,
        headers: auth,
        payload: body,
      })
    const added = await add({ name: 'board-probe', data: { from: 'test' }, options: {} })
    expect(added.statusCode).toBe(200)
    expect(added.json()).toMatchObject({ job: { name: 'board-probe' }, status: 'waiting' })
    // Its own validation answers in its own format: the board's UI reads that.
    expect((await add({ name: 42 })).statusCode).toBe(400)
  })

  it("leaves the app's error handler alone", async () => {
    const invalid = await get('/products/abc')
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json()).toMatchObject({ code: 'validation_failed' })
    const unknown = await get(`${BOARD}-elsewhere`)
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'route_not_found' })
  })

  it('keeps its routes out of the OpenAPI document', async () => {
    const document = (await get('/docs/json')).json() as { paths: Record<string, unknown> }
    const paths = Object.keys(document.paths)
    expect(paths).toContain('/products/{id}')
    expect(paths.filter((path) => path.startsWith('/admin'))).toEqual([])
  })
})
