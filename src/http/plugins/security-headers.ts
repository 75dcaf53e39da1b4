import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { QUEUE_BOARD_PATH } from './queue-board.js'

/** A Content-Security-Policy, directive by directive (helmet's form). */
export type Directives = Record<string, string[]>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own Content-Security-Policy, in place of the app's (plugins/security-headers.ts). */
    contentSecurityPolicy?: Directives
    /** Set by the plugin: the route's security headers, worked out once. */
    securityHeaders?: ReadonlyArray<readonly [string, string]>
  }
}

/**
 * Every answer's policy, JSON included: only this origin, nothing inline, never framed. No
 * `upgrade-insecure-requests`: the service is also served over plain HTTP (locally, in compose),
 * where it would send the pages' own files to an https:// that does not answer.
 */
const STRICT: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
}

/** The pages we serve but do not write, and what each needs beyond the strict policy. */
const PAGES: ReadonlyArray<{ prefix: string; csp: Directives }> = [
  {
    prefix: '/docs',
    // Swagger UI's logo is an SVG that colours itself with a <style>: that one block, by its hash
    // (an upgrade that changes it shows as a violation in test/http/security-headers.test.ts).
    csp: {
      ...STRICT,
      'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
    },
  },
  {
    prefix: QUEUE_BOARD_PATH,
    csp: {
      ...STRICT,
      // Its page finds its scripts through a <base href>.
      'base-uri': ["'self'"],
      // Inline styles (its loading screen, React's) and Google's web fonts: styles, never script.
      'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      'font-src': ["'self'", 'https://fonts.gstatic.com'],
    },
  },
]

/**
 * The headers helmet sets for a policy, worked out once: helmet's middleware builds its headers
 * on every call, which cost an L1 hit 46% of its throughput through @fastify/helmet; set from a
 * list in a synchronous hook, the same headers cost 15% (measured on GET /products/1).
 */
function headersFor(csp: Directives): ReadonlyArray<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = []
  const response = {
    setHeader: (name: string, value: unknown) => headers.push([name.toLowerCase(), String(value)]),
    removeHeader: () => {},
  }
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: csp },
    // Off: the service is served over plain HTTP here, where browsers ignore it anyway; HSTS
    // belongs to whatever terminates TLS in front of it, which knows the domain's subdomains.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' }, // frame-ancestors 'none' for browsers without CSP 2
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}

/**
 * Security headers on every answer (helmet's), errors and early refusals included: registered
 * first, its onRequest hook runs before any other. A route may state its own policy in its
 * `config.contentSecurityPolicy`; the pages of swagger-ui and bull-board, whose routes are not
 * ours to annotate, get theirs here by path.
 */
export default fp(
  async (app) => {
    const standard = headersFor(STRICT)
    const pages = PAGES.map((page) => ({ ...page, headers: headersFor(page.csp) }))
    app.addHook('onRoute', (route) => {
      const own = route.config?.contentSecurityPolicy
      const page = pages.find(
        ({ prefix }) => route.url === prefix || route.url.startsWith(`${prefix}/`),
      )
      const securityHeaders = own ? headersFor(own) : (page?.headers ?? standard)
      route.config = { ...route.config, securityHeaders }
    })
    app.addHook('onRequest', (request, reply, done) => {
      // No route (a 404): the strict policy.
      for (const [name, value] of request.routeOptions.config.securityHeaders ?? standard) {
        reply.header(name, value)
      }
      done()
    })
  },
  { name: 'security-headers' },
)
