import { copyFile, mkdir } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN } from '../support/app.js'
import { type BrowserApp, browserRunnable, startBrowserApp } from '../support/browser.js'

const ARTIFACT = 'test-artifacts/dashboard.png'
/** How long the page may take to show a change: it polls every second; CI machines are slow. */
const SHOWN_WITHIN = { timeout: 15_000 }
/** The README's picture: written only when asked (UPDATE_DOCS_SCREENSHOT=1), so runs leave git clean. */
const DOCS_SCREENSHOT = 'docs/dashboard.png'

const runnable = browserRunnable('the dashboard browser test')

describe.skipIf(!runnable)('the dashboard in a headless Chromium', () => {
  let browser: Browser
  let base: string
  let started: BrowserApp | undefined

  beforeAll(async () => {
    started = await startBrowserApp()
    ;({ browser, base } = started)
  })
  afterAll(() => started?.close())

  /** Opens the dashboard; collects every console error and uncaught exception of the page. */
  async function openDashboard(viewport: { width: number; height: number }) {
    const page = await browser.newPage({ viewport })
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${base}/dashboard`)
    await expect
      .poll(() => page.getAttribute('#connection-dot', 'data-connection'), SHOWN_WITHIN)
      .toBe('live')
    return { page, errors }
  }

  const shown = (page: Page, stat: string) =>
    page.locator(`[data-stat="${stat}"]`).first().textContent()

  async function sendReads(count: number) {
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${base}/products/${1 + (i % 10)}`)
      await response.arrayBuffer()
    }
  }

  it('loads cleanly, shows live figures, and its controls work', { timeout: 60_000 }, async () => {
    const { page, errors } = await openDashboard({ width: 1280, height: 800 })
    expect(await page.locator('[data-state="redis.state"]').textContent()).toBe('up')
    expect(await shown(page, 'database.dialect')).toBe('sqlite')
    const before = await shown(page, 'cache.totals.loads')

    await sendReads(300)
    const requestsPerSecond = async () =>
      Number((await shown(page, 'http.requests_per_second'))?.replaceAll(',', ''))
    await expect.poll(requestsPerSecond, SHOWN_WITHIN).toBeGreaterThan(0)
    await expect.poll(() => shown(page, 'cache.totals.loads'), SHOWN_WITHIN).not.toBe(before)
    await expect.poll(() => shown(page, 'cache.hit_ratio.l1'), SHOWN_WITHIN).toMatch(/^\d+\.\d%$/)
    expect(await shown(page, 'http.latency_ms.p99')).toMatch(/ ms$/)

    // A control: bump the key version with the admin token; the shown version follows.
    expect(await shown(page, 'key_version')).toBe('1')
    await page.fill('#admin-token', ADMIN_TOKEN)
    await page.click('[data-action="bump-version"]')
    await expect.poll(() => shown(page, 'key_version'), SHOWN_WITHIN).toBe('2')
    await expect
      .poll(() => page.locator('#results li').first().textContent(), SHOWN_WITHIN)
      .toContain('Key version bumped to 2')
    // Page-side expressions are strings: the tests compile without the DOM library.
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(1) // the token, this tab only

    await page.fill('#product-id', '3')
    await page.click('[data-action="invalidate"]')
    await expect
      .poll(() => page.locator('#results li').first().textContent(), SHOWN_WITHIN)
      .toContain('Product 3: cache entry invalidated')

    await sendReads(100) // so the picture shows traffic after the version bump too
    await expect.poll(requestsPerSecond, SHOWN_WITHIN).toBeGreaterThan(0)
    await mkdir('test-artifacts', { recursive: true })
    await page.screenshot({ path: ARTIFACT, fullPage: true })
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await mkdir('docs', { recursive: true })
      await copyFile(ARTIFACT, DOCS_SCREENSHOT)
    }
    expect(errors).toEqual([])
  })

  it('fits a phone screen without scrolling sideways', async () => {
    const { page, errors } = await openDashboard({ width: 390, height: 844 })
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )
    expect(overflow).toBeLessThanOrEqual(0)
    await mkdir('test-artifacts', { recursive: true })
    await page.screenshot({ path: 'test-artifacts/dashboard-phone.png', fullPage: true })
    expect(errors).toEqual([])
  })
})
