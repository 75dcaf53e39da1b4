// The wire format of the invalidation bus, as pure functions: what one instance tells the others.
// Messages carry keys, versions and tags, never cached values.

/** An invalidation: what `publish()` takes and `onMessage` handlers get. */
export type BusMessage =
  | { op: 'delete'; cache: string; keys: readonly string[] } // these entry keys were invalidated
  | { op: 'version'; cache: string; version: number } // the cache's key version was bumped to this
  | { op: 'tags'; cache: string; tags: Readonly<Record<string, number>> } // these tags' new versions

export type BusOperation = BusMessage['op']

/** The bus's own messages: never handed to `onMessage` handlers, nor accepted by `publish()`. */
export type BusControlMessage =
  | { op: 'heartbeat' } // still here: sent every heartbeatMs when there is nothing else to send
  | { op: 'bye' } // closing cleanly: forget me, nothing more is coming

export type WireMessage = BusMessage | BusControlMessage

/**
 * On the wire: `{ "v": 1, "from": "<instance id>", "seq": 7, ...message }` as JSON.
 *
 * `seq` numbers a sender's invalidations 1, 2, 3… (an instance id is new each run); a heartbeat
 * or a bye repeats the number of the last invalidation sent before it (0 before any), so losing
 * one of those loses nothing. A receiver that finds a number skipped knows it missed a message.
 * `seq` is optional on an invalidation, so that instances from before it still decode: v stays 1.
 * Those instances reject a heartbeat or bye as `invalid-shape` (counted, logged, harmless) and
 * still accept every invalidation, whose `seq` they ignore, during a rolling deploy.
 */
export const BUS_PROTOCOL_VERSION = 1

/** Bounds a receiver enforces, and a sender too, so that what one sends the others accept. */
export const BUS_LIMITS = {
  keysPerMessage: 1000,
  tagsPerMessage: 1000,
  /** UTF-8 bytes of one key or tag, as Redis counts them. */
  keyBytes: 1024,
  cacheNameLength: 256,
  instanceIdLength: 128,
  /** Checked before parsing: 1,000 keys of 1 KiB fit with room for JSON escapes. */
  encodedLength: 2 * 1024 * 1024,
} as const

/**
 * Why a received message was dropped: a closed set, fit for a metrics label.
 * `too-large` covers the whole message, too many keys or tags, and a key or tag too long.
 */
export type BusRejectReason = 'not-json' | 'unsupported-version' | 'invalid-shape' | 'too-large'

export type DecodedBusMessage =
  | { ok: true; from: string; seq: number | undefined; message: WireMessage }
  | { ok: false; reason: BusRejectReason; detail: string }

/** Same alphabet as cache names (see options.ts): no `:` that could fake a key level. */
const CACHE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/

/**
 * Parses and checks a raw message; never throws. The result is a fresh object holding only the
 * known fields: unknown ones are ignored, so that a later v1 may add optional fields without
 * instances still running the old code dropping invalidations during a rolling deploy.
 */
export function decodeBusMessage(raw: string): DecodedBusMessage {
  if (raw.length > BUS_LIMITS.encodedLength) {
    return rejection('too-large', `message is ${raw.length} characters long`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return rejection('not-json', 'not valid JSON')
  }
  try {
    const envelope = readObject(parsed, 'message')
    if (envelope.v !== BUS_PROTOCOL_VERSION) {
      return rejection('unsupported-version', `v is ${describe(envelope.v)}`)
    }
    const from = readInstanceId(envelope.from)
    const message = readMessage(envelope)
    return { ok: true, from, seq: readSeq(envelope.seq, message), message }
  } catch (error) {
    if (error instanceof InvalidBusMessage) return rejection(error.reason, error.message)
    throw error
  }
}

/**
 * The JSON to publish. Only the known fields are written, so an object carrying more (a value,
 * say) never puts it on the wire. Throws a RangeError for a message receivers would reject.
 */
export function encodeBusMessage(from: string, message: WireMessage, seq?: number): string {
  let encoded: string
  try {
    const known = readMessage(message)
    encoded = JSON.stringify({
      v: BUS_PROTOCOL_VERSION,
      from: readInstanceId(from),
      seq: readSeq(seq, known), // left out when undefined
      ...known,
    })
  } catch (error) {
    if (error instanceof InvalidBusMessage) {
      throw new RangeError(`Invalid bus message (${error.reason}): ${error.message}`)
    }
    throw error
  }
  if (encoded.length > BUS_LIMITS.encodedLength) {
    throw new RangeError(`Invalid bus message (too-large): ${encoded.length} characters encoded`)
  }
  return encoded
}

export function isControlMessage(message: WireMessage): message is BusControlMessage {
  return message.op === 'heartbeat' || message.op === 'bye'
}

/** Checks an instance id the way receivers will, so a bad one fails where it is configured. */
export function isValidInstanceId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= BUS_LIMITS.instanceIdLength
}

// Readers below throw InvalidBusMessage; the two entry points above turn it into their result.

class InvalidBusMessage extends Error {
  readonly reason: BusRejectReason
  constructor(reason: BusRejectReason, detail: string) {
    super(detail)
    this.reason = reason
  }
}

function readMessage(value: unknown): WireMessage {
  const fields = readObject(value, 'message')
  switch (fields.op) {
    case 'delete':
      return { op: 'delete', cache: readCacheName(fields.cache), keys: readKeys(fields.keys) }
    case 'version': {
      const cache = readCacheName(fields.cache)
      return { op: 'version', cache, version: readVersion(fields.version, 'version') }
    }
    case 'tags':
      return { op: 'tags', cache: readCacheName(fields.cache), tags: readTags(fields.tags) }
    case 'heartbeat':
    case 'bye':
      return { op: fields.op }
    default:
      throw new InvalidBusMessage('invalid-shape', `op is ${describe(fields.op)}`)
  }
}

/** Optional on an invalidation (senders from before it); a heartbeat or bye means nothing without it. */
function readSeq(value: unknown, message: WireMessage): number | undefined {
  if (value === undefined && !isControlMessage(message)) return undefined
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  throw new InvalidBusMessage('invalid-shape', `seq is ${describe(value)}`)
}

function readInstanceId(value: unknown): string {
  if (isValidInstanceId(value)) return value
  throw new InvalidBusMessage(
    'invalid-shape',
    `from must be a string of 1 to ${BUS_LIMITS.instanceIdLength} characters, got ${describe(value)}`,
  )
}

function readCacheName(value: unknown): string {
  if (
    typeof value === 'string' &&
    value.length <= BUS_LIMITS.cacheNameLength &&
    CACHE_NAME_PATTERN.test(value)
  ) {
    return value
  }
  throw new InvalidBusMessage('invalid-shape', `cache is ${describe(value)}`)
}

function readKeys(value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidBusMessage('invalid-shape', `keys is ${describe(value)}`)
  }
  if (value.length === 0) throw new InvalidBusMessage('invalid-shape', 'keys is empty')
  if (value.length > BUS_LIMITS.keysPerMessage) {
    throw new InvalidBusMessage('too-large', `${value.length} keys`)
  }
  return value.map((key: unknown, index) => readKeyLike(key, `keys[${index}]`))
}

function readTags(value: unknown): Record<string, number> {
  const entries = Object.entries(readObject(value, 'tags'))
  if (entries.length === 0) throw new InvalidBusMessage('invalid-shape', 'tags is empty')
  if (entries.length > BUS_LIMITS.tagsPerMessage) {
    throw new InvalidBusMessage('too-large', `${entries.length} tags`)
  }
  // fromEntries defines own properties, so a tag named `__proto__` stays a plain tag.
  return Object.fromEntries(
    entries.map(([tag, version], index) => [
      readKeyLike(tag, `tag #${index}`),
      readVersion(version, `version of tag #${index}`),
    ]),
  )
}

/** A key or a tag: a non-empty string of at most `keyBytes` UTF-8 bytes. */
function readKeyLike(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidBusMessage('invalid-shape', `${field} is ${describe(value)}`)
  }
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: skip the count when the length alone settles it.
  if (value.length * 3 > BUS_LIMITS.keyBytes && Buffer.byteLength(value) > BUS_LIMITS.keyBytes) {
    throw new InvalidBusMessage('too-large', `${field} is longer than ${BUS_LIMITS.keyBytes} bytes`)
  }
  return value
}

function readVersion(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value
  throw new InvalidBusMessage('invalid-shape', `${field} is ${describe(value)}`)
}

function readObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>
  }
  throw new InvalidBusMessage('invalid-shape', `${field} is ${describe(value)}, not an object`)
}

/** A short description for a rejection's detail: never echoes a long or arbitrary input. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'string') {
    return value.length <= 32 ? JSON.stringify(value) : `a string of ${value.length} characters`
  }
  return typeof value === 'undefined' ? 'missing' : `a ${typeof value}`
}

function rejection(reason: BusRejectReason, detail: string): DecodedBusMessage {
  return { ok: false, reason, detail }
}
