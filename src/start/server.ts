import { buildApp } from '../app.js'
import { ConfigError, loadConfig } from '../config.js'
import { openDependencies } from './dependencies.js'
import { loadEnvFile } from './env-file.js'
import { prettyLogOptions, prettyLogStream } from './log-format.js'
import { progressBar } from './progress-bar.js'
import { onShutdownSignal, retryAfterWhileClosing } from './shutdown.js'

/** How long a closing server still answers (503) what reached it before its socket closes. */
const SHUTDOWN_DRAIN_MS = 250

async function main() {
  const readEnvFile = loadEnvFile()
  const config = loadConfig()
  const { dependencies, seed } = await openDependencies(config, {
    onSeedProgress: progressBar('Seeding products'),
  })
  // Pretty lines on a terminal, JSON lines anywhere else (log-format.ts).
  const logStream = await prettyLogStream(
    prettyLogOptions({ isTTY: process.stdout.isTTY, env: process.env }),
  )
  const app = await buildApp(config, dependencies, { drainMs: SHUTDOWN_DRAIN_MS, logStream })
  if (readEnvFile) app.log.info('settings read from .env (variables set in the environment win)')
  if (seed.seeded) {
    app.log.info(seed, `seeded ${seed.products} products and ${seed.reviews} reviews`)
  }

  const closing = retryAfterWhileClosing(app.server)
  onShutdownSignal(
    async () => {
      closing() // the 503s of the drain say when to come back (to another instance, likely)
      // Refuses new requests and jobs, lets those under way finish, closes the services…
      await app.close()
      // …then the connections they ran on.
      await dependencies.close()
    },
    { timeoutMs: config.SHUTDOWN_TIMEOUT_MS, log: (message) => app.log.info(message) },
  )
  await app.listen({ port: config.PORT, host: config.HOST })
}

main().catch((error: unknown) => {
  // A bad variable is the operator's to fix: say which, without a stack trace.
  if (error instanceof ConfigError) console.error(error.message)
  else console.error('Failed to start:', error)
  process.exit(1)
})
