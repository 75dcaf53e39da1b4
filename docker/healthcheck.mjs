// The image's HEALTHCHECK: exit 0 when GET /health answers 200, 1 otherwise. The slim base
// image has no curl or wget, and node is there anyway. Every role (api, worker, all) serves
// /health on PORT.
const port = process.env.PORT || '8000'
const TIMEOUT_MS = 2000

try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  process.exit(response.status === 200 ? 0 : 1)
} catch {
  process.exit(1)
}
