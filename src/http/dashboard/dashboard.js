// The live dashboard: polls GET /stats once a second and fills the elements that name a field of
// it (data-stat, data-bar, data-state, data-spark); the controls call the admin routes.

const POLL_MS = 1000
const SPARK_POINTS = 60
const TOKEN_KEY = 'caching-strategies.admin-token'
const MAX_RESULTS = 6

/** `a.b.c` of an object, or undefined. */
function pick(object, path) {
  return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), object)
}

const formats = {
  int: (n) => Math.round(n).toLocaleString('en'),
  rate: (n) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en')),
  ms: (n) => `${n < 1 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ms`,
  percent: (n) => `${(n * 100).toFixed(1)}%`,
  seconds: (n) => `${n.toFixed(1)} s`,
  text: (value) => String(value),
  list: (values) => (values.length === 0 ? '—' : values.join(', ')),
  bytes: (n) => {
    const units = ['B', 'KiB', 'MiB', 'GiB']
    let value = n
    let unit = 0
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024
      unit++
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
  },
  // A window of the consistency monitor: its nines, and the stale share they come from.
  nines: ({ checks, stale, nines, at_least: atLeast }) => {
    if (nines === null) return 'no checks yet'
    const share = `${stale.toLocaleString('en')} stale of ${checks.toLocaleString('en')}`
    return `${atLeast ? '≥ ' : ''}${nines.toFixed(1)} nines (${share})`
  },
  duration: (seconds) => {
    if (seconds < 120) return `${Math.round(seconds)} s`
    if (seconds < 7200) return `${Math.round(seconds / 60)} min`
    if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`
    return `${Math.round(seconds / 86400)} d`
  },
}

function format(value, kind) {
  if (value === null || value === undefined) return '—'
  return (formats[kind] ?? formats.text)(value)
}

const sparkHistory = new Map()

function renderSpark(svg, value) {
  const key = svg.dataset.spark
  const history = sparkHistory.get(key) ?? []
  history.push(typeof value === 'number' ? value : 0)
  if (history.length > SPARK_POINTS) history.shift()
  sparkHistory.set(key, history)
  const max = Math.max(1, ...history)
  const step = 120 / (SPARK_POINTS - 1)
  const offset = (SPARK_POINTS - history.length) * step
  const points = history.map(
    (point, index) =>
      `${(offset + index * step).toFixed(1)},${(24 - (point / max) * 22).toFixed(1)}`,
  )
  svg.querySelector('polyline').setAttribute('points', points.join(' '))
}

function render(stats) {
  for (const element of document.querySelectorAll('[data-stat]')) {
    element.textContent = format(pick(stats, element.dataset.stat), element.dataset.format)
  }
  for (const element of document.querySelectorAll('[data-bar]')) {
    const value = pick(stats, element.dataset.bar)
    element.style.width = `${typeof value === 'number' ? Math.round(value * 100) : 0}%`
  }
  for (const element of document.querySelectorAll('[data-state]')) {
    const value = pick(stats, element.dataset.state) ?? 'unknown'
    element.textContent = value
    element.dataset.value = value
  }
  for (const svg of document.querySelectorAll('[data-spark]')) {
    renderSpark(svg, pick(stats, svg.dataset.spark))
  }
}

function showConnection(state, text) {
  document.getElementById('connection-dot').dataset.connection = state
  document.getElementById('connection').textContent = text
}

let pollTimer
let polling = false

/** One poll at a time, the next a second after the last answer; a call meanwhile is dropped. */
async function poll() {
  if (polling) return
  polling = true
  clearTimeout(pollTimer)
  try {
    // A hidden tab asks nothing; it catches up as soon as it is shown again.
    if (document.hidden) return
    // With METRICS_ACCESS=admin, /stats wants the admin token the controls below were given.
    const token = sessionStorage.getItem(TOKEN_KEY)
    const response = await fetch('/stats', {
      cache: 'no-store',
      signal: AbortSignal.timeout(5000),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
    if (response.status === 401) throw new Error('HTTP 401: enter the admin token below')
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    render(await response.json())
    showConnection('live', `live · ${new Date().toLocaleTimeString('en-GB')}`)
  } catch (error) {
    showConnection('down', `stats unavailable (${error.message})`)
  } finally {
    polling = false
    pollTimer = setTimeout(poll, POLL_MS)
  }
}

// ---- Controls -------------------------------------------------------------------------------

const tokenInput = document.getElementById('admin-token')
const productInput = document.getElementById('product-id')
const results = document.getElementById('results')

function report(outcome, text) {
  const item = document.createElement('li')
  item.dataset.outcome = outcome
  item.textContent = `${new Date().toLocaleTimeString('en-GB')} ${text}`
  results.prepend(item)
  while (results.children.length > MAX_RESULTS) results.lastElementChild.remove()
  return item
}

/** Calls an admin route with the token; answers the parsed body, or undefined after reporting. */
async function callAdmin(method, url) {
  const token = tokenInput.value.trim()
  if (!token) {
    report('error', 'Enter the admin token first.')
    tokenInput.focus()
    return undefined
  }
  sessionStorage.setItem(TOKEN_KEY, token)
  try {
    const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}` } })
    const body = response.status === 204 ? null : await response.json().catch(() => null)
    if (!response.ok) {
      report(
        'error',
        `${method} ${url} → ${response.status}: ${body?.detail ?? response.statusText}`,
      )
      return undefined
    }
    return { status: response.status, body }
  } catch (error) {
    report('error', `${method} ${url} failed: ${error.message}`)
    return undefined
  }
}

function productId() {
  const id = Number(productInput.value)
  if (Number.isInteger(id) && id >= 1) return id
  report('error', 'The product id must be a whole number from 1.')
  productInput.focus()
  return undefined
}

/** Follows a job until it finishes (or 10 s pass), updating its line of the results. */
async function followJob(item, status, label) {
  for (let attempt = 0; attempt < 20; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const token = sessionStorage.getItem(TOKEN_KEY) ?? ''
    const response = await fetch(status, {
      cache: 'no-store',
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined)
    if (!response?.ok) return
    const job = await response.json()
    item.textContent = `${label}: job ${job.id} ${job.state}`
    if (job.state === 'completed' || job.state === 'failed') return
  }
  item.textContent += ' (still not finished: is a worker running?)'
}

const actions = {
  async invalidate() {
    const id = productId()
    if (id === undefined) return
    const answer = await callAdmin('DELETE', `/products/cache/${id}`)
    if (answer) report('ok', `Product ${id}: cache entry invalidated (${answer.status}).`)
  },
  async regenerate() {
    const id = productId()
    if (id === undefined) return
    const answer = await callAdmin('POST', `/products/${id}/regenerate`)
    if (!answer) return
    const label = `Product ${id} regeneration queued`
    const item = report('ok', `${label}: job ${answer.body.jobId}`)
    followJob(item, answer.body.status, label) // in the background: the button is free again
  },
  async 'bump-version'() {
    const answer = await callAdmin('POST', '/cache/version')
    if (answer) report('ok', `Key version bumped to ${answer.body.version}.`)
  },
}

function setUpControls() {
  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? ''
  tokenInput.addEventListener('change', () => sessionStorage.setItem(TOKEN_KEY, tokenInput.value))
  document.getElementById('forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    tokenInput.value = ''
    report('ok', 'Token forgotten.')
  })
  // Enter in a field must not submit the form (there is nowhere to submit it to).
  document.getElementById('controls').addEventListener('submit', (event) => event.preventDefault())
  for (const button of document.querySelectorAll('[data-action]')) {
    button.addEventListener('click', async () => {
      button.disabled = true
      try {
        await actions[button.dataset.action]()
      } finally {
        button.disabled = false
        poll() // show the effect now rather than within the second
      }
    })
  }
}

setUpControls()
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) poll()
})
poll()
