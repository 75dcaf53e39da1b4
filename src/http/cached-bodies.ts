import type { FastifyReply } from 'fastify'

export const JSON_UTF8 = 'application/json; charset=utf-8'

type Body = ReturnType<FastifyReply['serialize']>

/**
 * The JSON body of a value served from the cache, serialized once per cached value rather than
 * once per request. A cache tier hands back the same frozen object on every hit (the L1 does), so
 * the body can be kept beside it, weakly: it goes when the entry does. Only frozen values are
 * kept, as only they cannot change under their body; a value decoded afresh (an L2 hit with no
 * L1) is a new, unfrozen object each time and simply gets a body of its own.
 */
export class CachedBodies {
  readonly #bodies = new WeakMap<object, Body>()

  /** `{ source: 'cache', data: value }`, by the route's own serializer for the reply's status. */
  of(value: object, reply: FastifyReply): Body {
    let body = this.#bodies.get(value)
    if (body === undefined) {
      body = reply.serialize({ source: 'cache', data: value })
      if (Object.isFrozen(value)) this.#bodies.set(value, body)
    }
    return body
  }
}
