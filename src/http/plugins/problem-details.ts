import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, ERRORS, type ErrorCode } from '../../errors.js'

/** Fastify's own errors that are the client's fault, mapped onto our closed set of codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
}

/**
 * Any other error that carries a 4xx status (Fastify's own, or a plugin's such as the docs'
 * static files) is still the client's mistake. One code per status keeps the closed set honest
 * (a code always means one status), rather than one `client_error` code whose status varies;
 * these are the statuses the stack below us sends. A 4xx not listed falls back to a 400.
 */
const CLIENT_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
}

function isClientError(status: number | undefined): status is number {
  return status !== undefined && status >= 400 && status <= 499
}

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error
  if (error.validation) {
    const errors = error.validation.map((v) => ({ path: v.instancePath, message: v.message }))
    return new AppError('validation_failed', `${error.validationContext}: ${error.message}`, {
      extensions: { errors },
    })
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined
  if (mapped) return new AppError(mapped, undefined, { cause: error })
  // JSON.parse errors from the body parser arrive as a SyntaxError with status 400.
  if (error instanceof SyntaxError || (error.statusCode === 400 && !error.code)) {
    return new AppError('invalid_json', undefined, { cause: error })
  }
  if (isClientError(error.statusCode)) {
    // Fastify's own messages describe the request; a plugin's may name files, so only the title.
    const detail = error.code?.startsWith('FST_ERR_') ? error.message : undefined
    return new AppError(CLIENT_ERROR_CODES[error.statusCode] ?? 'bad_request', detail, {
      cause: error,
    })
  }
  return new AppError('internal', undefined, { cause: error })
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  if (error.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(error.retryAfterSeconds))
  }
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: ERRORS[error.code].title,
      status: error.status,
      code: error.code,
      detail: error.detail ?? ERRORS[error.code].title,
      instance: request.url,
      ...error.extensions,
    })
}

/** The one place errors become responses: problem+json, a stable `code`, never a stack. */
export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = toAppError(error)
      // Names the request itself: request.log carries no bindings unless requests are logged (app.ts).
      if (problem.status >= 500) {
        app.log.error({ err: error, reqId: request.id }, 'request failed')
      } else if (request.raw.readableAborted) {
        // The client hung up before its body was read (Node's 'aborted', ECONNRESET): nobody is
        // waiting for an answer, and nothing here went wrong.
        app.log.debug({ reqId: request.id }, 'client aborted the request')
      } else {
        // Fastify logs its own 4xx at info, but only with request logging on; ours is on at debug.
        app.log.debug({ err: error, reqId: request.id, code: problem.code }, 'client error')
      }
      return sendProblem(reply, request, problem)
    })
    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        reply,
        request,
        new AppError('route_not_found', `No route for ${request.method} ${request.url}`),
      ),
    )
  },
  { name: 'problem-details' },
)
