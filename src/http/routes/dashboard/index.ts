import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync } from 'fastify'
import { ifNoneMatchHolds } from '../../if-match.js'
import type { Directives } from '../../plugins/security-headers.js'

/** The page's files, by URL. All of it is here: the page loads nothing from anywhere else. */
const ASSETS = [
  { url: '/dashboard', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: '/dashboard/dashboard.js', file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  { url: '/dashboard/dashboard.css', file: 'dashboard.css', type: 'text/css; charset=utf-8' },
] as const

// src/http/routes/dashboard/ and dist/http/routes/dashboard/ both sit two levels below http/,
// where the files are (scripts/copy-assets.mjs copies them to dist/).
const ASSET_DIR = new URL('../../dashboard/', import.meta.url)

/**
 * Only this origin, and nothing inline: the page needs no more, so an injected script gets nothing.
 * Stricter than the app's (plugins/security-headers.ts), which sends it with the other headers.
 */
const CONTENT_SECURITY_POLICY: Directives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'connect-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
}

/**
 * The live dashboard: one page, a script and a style sheet, read once at start-up and served
 * from memory. Hidden from the OpenAPI document; its data comes from GET /stats.
 */
const dashboardRoutes: FastifyPluginAsync = async (app) => {
  for (const asset of ASSETS) {
    const body = await readFile(new URL(asset.file, ASSET_DIR))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
    const options = {
      schema: { hide: true },
      config: { contentSecurityPolicy: CONTENT_SECURITY_POLICY },
    }
    app.get(asset.url, options, async (request, reply) => {
      reply
        .header('cache-control', 'no-cache') // revalidate, so a new version shows at once
        .header('etag', etag)
      // Strong: one file, the same bytes. If-None-Match compares weakly, and may list several.
      if (ifNoneMatchHolds(request.headers['if-none-match'], etag)) return reply.code(304).send()
      return reply.type(asset.type).send(body)
    })
  }
}

export default dashboardRoutes
