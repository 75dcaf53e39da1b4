/**
 * The closed set of errors the API can answer with. Each code has one HTTP status and a
 * human title; the one error handler (http/plugins/problem-details.ts) renders them as
 * application/problem+json (RFC 9457) and never leaks a stack or an internal message.
 */
export const ERRORS = {
  bad_request: { status: 400, title: 'The request is not valid HTTP for this route' },
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_if_match: { status: 400, title: 'If-Match must be "*" or one strong ETag' },
  unauthorized: { status: 401, title: 'A valid admin bearer token is required' },
  forbidden: { status: 403, title: 'Access to this resource is forbidden' },
  not_found: { status: 404, title: 'No such resource' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'This method is not allowed here' },
  duplicate_sku: { status: 409, title: 'Another product already has this SKU' },
  precondition_failed: { status: 412, title: 'The resource has changed (If-Match failed)' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  range_not_satisfiable: { status: 416, title: 'The requested range is outside the resource' },
  too_many_requests: { status: 429, title: 'Too many requests: try again after Retry-After' },
  service_unavailable: { status: 503, title: 'A dependency is unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERRORS

/**
 * A dependency that failed a request usually answers again within a second or two: the
 * Retry-After of every 503 that does not say otherwise (/ready's and a closing server's too).
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 1

export class AppError extends Error {
  override readonly name = 'AppError'
  readonly status: number
  /** Extra members of the problem document (e.g. validation errors, the current version). */
  readonly extensions: Record<string, unknown> | undefined
  /** Sent as Retry-After: when the client may try again. Every 503 has one (1 s unless told). */
  readonly retryAfterSeconds: number | undefined

  constructor(
    readonly code: ErrorCode,
    /** Shown to the client: say what was wrong with *their* request, never internals. */
    readonly detail?: string,
    options?: { cause?: unknown; extensions?: Record<string, unknown>; retryAfterSeconds?: number },
  ) {
    super(detail ?? ERRORS[code].title, { cause: options?.cause })
    this.status = ERRORS[code].status
    this.extensions = options?.extensions
    this.retryAfterSeconds =
      options?.retryAfterSeconds ?? (this.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined)
  }
}
