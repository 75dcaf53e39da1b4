import type { LightMyRequestResponse } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, auth, startTestApp, type TestApp } from '../support/app.js'
import { type BrowserApp, browserRunnable, startBrowserApp } from '../support/browser.js'

const BOARD = '/admin/queues'

/** The directives of a Content-Security-Policy header, by name. */
function directives(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '')
  const entries = header.split(';').flatMap((directive): Array<[string, string[]]> => {
    const [name, ...sources] = directive.trim().split(/\s+/)
    return name ? [[name, sources]] : []
  })
  return new Map(entries)
}

/** What every answer carries, whatever its route, status or content type. */
function expectSecurityHeaders(response: LightMyRequestResponse) {
  expect(response.headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'x-frame-options': 'DENY',
  })
  // Plain HTTP here: HSTS belongs to whatever terminates TLS in front of the service.
  expect(response.headers['strict-transport-security']).toBeUndefined()
  const csp = directives(response)
  expect(csp.get('frame-ancestors')).toEqual(["'none'"])
  expect(csp.get('object-src') ?? csp.get('default-src')).toEqual(["'none'"])
  expect(csp.has('upgrade-insecure-requests')).toBe(false)
  // No page of ours may run inline or injected script, nor eval.
  for (const source of ['script-src', 'script-src-attr']) {
    const sources = csp.get(source) ?? []
    expect(sources, source).not.toContain("'unsafe-inline'")
    expect(sources, source).not.toContain("'unsafe-eval'")
  }
  return csp
}

/** The strict policy: only this origin, nothing inline, no base element. */
function expectStrictPolicy(response: LightMyRequestResponse) {
  const csp = expectSecurityHeaders(response)
  expect(csp.get('default-src')).toEqual(["'self'"])
  expect(csp.get('script-src')).toEqual(["'self'"])
  expect(csp.get('style-src')).toEqual(["'self'"])
  expect(csp.get('base-uri')).toEqual(["'none'"])
}

describe('security headers', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t.close())

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers })

  it('are on an API answer, which keeps its JSON content type', async () => {
    const read = await get('/products/1')
    expect(read.statusCode).toBe(200)
    expect(read.headers['content-type']).toMatch(/^application\/json/)
    expectStrictPolicy(read)
  })

  it('are on errors: a 404, a 400 and an early 401 stay problem+json', async () => {
    for (const [url, status] of [
      ['/no-such-route', 404],
      ['/products/abc', 400],
      [BOARD, 401], // refused in an onRequest hook, before any route runs
    ] as const) {
      const response = await get(url)
      expect(response.statusCode, url).toBe(status)
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/)
      expectSecurityHeaders(response)
    }
    expectStrictPolicy(await get('/no-such-route'))
  })

  it('are on /metrics, which keeps the Prometheus text format', async () => {
    const scraped = await get('/metrics')
    expect(scraped.statusCode).toBe(200)
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expectStrictPolicy(scraped)
  })

  it("are on the dashboard, whose own policy is stricter still (default-src 'none')", async () => {
    for (const url of ['/dashboard', '/dashboard/dashboard.js']) {
      const response = await get(url)
      expect(response.statusCode, url).toBe(200)
      const csp = expectSecurityHeaders(response)
      expect(csp.get('default-src'), url).toEqual(["'none'"])
      expect(csp.get('connect-src'), url).toEqual(["'self'"])
      expect(csp.get('style-src'), url).toEqual(["'self'"])
    }
  })

  it('are on the Swagger UI page', async () => {
    const page = await get('/docs/')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    const csp = expectSecurityHeaders(page)
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect((await get('/docs/json')).headers['content-type']).toMatch(/^application\/json/)
  })

  it('are on the queue board page', async () => {
    const page = await get(BOARD, auth)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    const csp = expectSecurityHeaders(page)
    expect(csp.get('script-src')).toEqual(["'self'"])
    const api = await get(`${BOARD}/api/queues`, auth)
    expect(api.headers['content-type']).toMatch(/^application\/json/)
    expectSecurityHeaders(api)
  })
})

const runnable = browserRunnable('the CSP browser test')
/** How long a page may take to render: the bundles are large and CI machines are slow. */
const SHOWN_WITHIN = { timeout: 15_000 }

// Page-side code is strings: the tests compile without the DOM library. Installed before any
// script of the page runs, so no violation is missed.
const RECORD_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
`

describe.skipIf(!runnable)('the pages under their policies, in a headless Chromium', () => {
  let browser: Browser
  let base: string
  let started: BrowserApp | undefined

  beforeAll(async () => {
    started = await startBrowserApp()
    ;({ browser, base } = started)
  })
  afterAll(() => started?.close())

  /** Opens a page, recording CSP violations (as events and as console lines) and uncaught errors. */
  async function open(url: string): Promise<{ page: Page; problems: () => Promise<string[]> }> {
    const page = await browser.newPage()
    await page.addInitScript(RECORD_VIOLATIONS)
    const logged: string[] = []
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) logged.push(message.text())
    })
    page.on('pageerror', (error) => logged.push(error.message))
    await page.goto(`${base}${url}`)
    const problems = async () => [
      ...logged,
      ...(await page.evaluate<string[]>('window.__cspViolations')),
    ]
    return { page, problems }
  }

  it('renders Swagger UI at /docs, whose "Try it out" calls the API', async () => {
    const { page, problems } = await open('/docs')
    const read = page.locator('.opblock-get', { hasText: '/products/{id}' }).first()
    await read.waitFor(SHOWN_WITHIN)
    expect(await page.locator('.opblock').count()).toBeGreaterThan(5)

    await read.locator('.opblock-summary-control').click()
    await read.getByRole('button', { name: 'Try it out' }).click()
    await read.locator('input[placeholder="id"]').fill('1')
    await read.getByRole('button', { name: 'Execute' }).click()
    await read
      .locator('.live-responses-table .response-col_status', { hasText: '200' })
      .first()
      .waitFor(SHOWN_WITHIN)
    expect(await problems()).toEqual([])
  })

  it('renders the queue board at /admin/queues, opened with its ?token= link', async () => {
    const { page, problems } = await open(`${BOARD}?token=${ADMIN_TOKEN}`)
    expect(new URL(page.url()).search).toBe('') // the token was turned into a cookie
    const queue = page.getByRole('link', { name: 'catalog', exact: true }).first()
    await queue.waitFor(SHOWN_WITHIN)
    await queue.click()
    await page.waitForURL(`${base}${BOARD}/queue/catalog**`, SHOWN_WITHIN)
    expect(await problems()).toEqual([])
  })
})
