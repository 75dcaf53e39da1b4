import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium } from 'playwright-core'
import { startTestApp, type TestApp } from './app.js'

/** Debian's package `chromium` (.ci/run installs it); set CHROMIUM_PATH to use another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Whether a browser test can run. In CI it always runs: a missing browser must fail there, not
 * shrink the suite silently. Elsewhere it is skipped with a warning naming `what`.
 */
export function browserRunnable(what: string): boolean {
  const runnable = existsSync(CHROMIUM) || process.env.CI === 'true'
  if (!runnable) {
    console.warn(
      `Chromium not found at ${CHROMIUM}: ${what} is skipped (apt-get install chromium, or set ` +
        'CHROMIUM_PATH; with CI=true it runs and fails instead).',
    )
  }
  return runnable
}

export interface BrowserApp {
  t: TestApp
  browser: Browser
  /** `http://127.0.0.1:<port>` of the app, listening. */
  base: string
  close(): Promise<void>
}

/** A test app listening on a free port of 127.0.0.1, and a headless Chromium to drive it. */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const t = await startTestApp(env)
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  return {
    t,
    browser,
    base,
    async close() {
      await browser.close()
      await t.close()
    },
  }
}
