import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { type Config, trustProxy } from './config.js'
import adminAuth, { credentialRedaction } from './http/plugins/admin-auth.js'
import dependencies, { type AppDependencies } from './http/plugins/dependencies.js'
import metrics from './http/plugins/metrics.js'
import problemDetails from './http/plugins/problem-details.js'
import queueBoard from './http/plugins/queue-board.js'
import rateLimit from './http/plugins/rate-limit.js'
import securityHeaders from './http/plugins/security-headers.js'
import services from './http/plugins/services.js'
import swagger from './http/plugins/swagger.js'
import worker from './http/plugins/worker.js'
import { registerRoutes } from './http/routes/index.js'
import { strictValidatorCompiler } from './http/validator.js'

export type { AppDependencies }

/** Bodies over this are refused with 413 before they are parsed. */
const BODY_LIMIT_BYTES = 64 * 1024

/**
 * How long a client may take to send a request, or keep a socket idle: without these, a client
 * sending a byte every few seconds holds a socket (and a file descriptor) for as long as it likes.
 */
function connectionLimits(config: Config) {
  const requestTimeout = config.REQUEST_TIMEOUT_MS
  return {
    requestTimeout,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.CONNECTION_TIMEOUT_MS,
    http: {
      // Given at creation, as Node pairs them: Fastify's requestTimeout alone, set afterwards,
      // leaves a body that dribbles in to Node's headersTimeout (60 s).
      headersTimeout: requestTimeout,
      requestTimeout,
      // How often Node looks for late requests: its default, 30 s, would let one run 30 s over.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeout / 10)),
    },
  }
}

function packageVersion(): string {
  // src/app.ts and dist/app.js both sit one level below package.json.
  const pkg: { version: string } = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  )
  return pkg.version
}

/**
 * Builds the HTTP app; never listens. The entry point (start/server.ts) listens and shuts
 * down; tests build it in process and call it with `inject` or a real port.
 */
export async function buildApp(
  config: Config,
  deps: AppDependencies,
  options: {
    logStream?: { write(line: string): void }
    /**
     * On close, keep the listening socket open this long while every request is answered 503
     * (Fastify sets that as close begins): connections the kernel has already accepted on our
     * behalf are then answered instead of reset when the socket closes. @default 0
     */
    drainMs?: number
  } = {},
): Promise<FastifyInstance> {
  const logRequests = ['debug', 'trace'].includes(config.LOG_LEVEL)
  const app = Fastify({
    // The admin token never reaches a log line: not in a URL's ?token=, nor in a header.
    logger: { level: config.LOG_LEVEL, stream: options.logStream, ...credentialRedaction },
    // A log line per request costs more than a cache hit; turn them on with LOG_LEVEL=debug.
    logController: new LogController({ disableRequestLogging: !logRequests }),
    bodyLimit: BODY_LIMIT_BYTES,
    // request.ip (the rate limits' client) and request.protocol from X-Forwarded-*, if trusted.
    trustProxy: trustProxy(config),
    ...connectionLimits(config),
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Node closes each socket over the cap as it is accepted (Fastify has no option for it).
  if (config.MAX_CONNECTIONS > 0) app.server.maxConnections = config.MAX_CONNECTIONS
  // Every part validated as sent: an unknown body field is a 400, not silently dropped.
  app.setValidatorCompiler(strictValidatorCompiler)
  if (!logRequests) {
    // So does a child logger per request, made only to bind its id to those lines: without them,
    // requests share the app's logger (a route's own logLevel still gets one), and the error
    // handler names the request itself.
    app.setChildLoggerFactory((logger, bindings, options) =>
      options.level === undefined ? logger : logger.child(bindings, options),
    )
  }
  // The API speaks JSON only: any other body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  const { drainMs = 0 } = options
  if (drainMs > 0) app.addHook('preClose', () => sleep(drainMs))

  const version = packageVersion()
  await app.register(securityHeaders)
  await app.register(problemDetails)
  await app.register(metrics)
  await app.register(swagger, { version })
  await app.register(dependencies, deps)
  // Before the routes: the per-client limit (when on) hooks into every route added after it.
  await app.register(rateLimit, { config })
  await app.register(adminAuth, { adminToken: config.ADMIN_TOKEN })
  await app.register(services, { config })
  await app.register(worker, { config })
  // Wherever the API runs; a worker process serves only health and metrics.
  if (config.ROLE !== 'worker') await app.register(queueBoard)
  await registerRoutes(app, {
    version,
    graceSeconds: config.CACHE_GRACE_SECONDS,
    role: config.ROLE,
    metricsAccess: config.METRICS_ACCESS,
  })
  return app
}
