import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { type Static, type TSchema, Type } from 'typebox'
import type { ProductRead } from '../../../catalog/product-catalog.js'
import { AppError } from '../../../errors.js'
import { cacheHeaderSchemas, sendBatchCacheHeaders, sendCacheHeaders } from '../../cache-headers.js'
import { CachedBodies, JSON_UTF8 } from '../../cached-bodies.js'
import { clientHasVersion, etagOf, expectedVersionFrom, readEtagOf } from '../../if-match.js'
import { PREFERENCE_APPLIED, prefersRespondAsync } from '../../prefer.js'
import { adminSecurity, IdParams, problemResponses } from '../../schemas/common.js'
import {
  IfMatchHeaders,
  IfNoneMatchHeaders,
  ProductBatchSchema,
  ProductListQuery,
  ProductPageSchema,
  ProductPatchSchema,
  ProductReadSchema,
  ProductSchema,
  ProductWriteSchema,
  readEtagSchema,
  writeEtagSchema,
} from '../../schemas/products.js'

const tags = ['products']

const productRoutes: FastifyPluginAsyncTypebox<{ graceSeconds: number }> = async (
  app,
  { graceSeconds },
) => {
  const { catalog } = app
  const bodies = new CachedBodies()

  app.get(
    '/products',
    {
      schema: {
        tags,
        summary: 'List products, by id, a page at a time; or read many by id (?ids=1,2,3)',
        querystring: ProductListQuery,
        response: {
          200: {
            ...Type.Union([ProductPageSchema, ProductBatchSchema]),
            headers: cacheHeaderSchemas,
          },
          ...problemResponses(400, 503),
        },
      },
    },
    async (request, reply) => {
      const { cursor, limit = '20', ids } = request.query
      if (ids !== undefined) {
        if (cursor !== undefined || request.query.limit !== undefined) {
          throw new AppError('validation_failed', 'ids cannot be combined with cursor or limit')
        }
        const batch = await catalog.readMany(ids.split(',').map(Number))
        sendBatchCacheHeaders(reply, batch.cache, graceSeconds)
        const body = { items: batch.items, missing: batch.missing }
        return sendAs(reply, ProductBatchSchema, body)
      }
      const { page, cache } = await catalog.list(cursor ? Number(cursor) : undefined, Number(limit))
      sendCacheHeaders(reply, cache, graceSeconds)
      return sendAs(reply, ProductPageSchema, page)
    },
  )

  app.get(
    '/products/:id',
    {
      schema: {
        tags,
        summary: 'Read a product through the cache',
        params: IdParams,
        headers: IfNoneMatchHeaders,
        response: {
          200: { ...ProductReadSchema, headers: { ...cacheHeaderSchemas, etag: readEtagSchema } },
          304: {
            ...Type.Null({ description: 'Not modified: the If-None-Match ETag is current' }),
            headers: { etag: readEtagSchema },
          },
          ...problemResponses(400, 404, 503),
        },
      },
    },
    (request, reply) => {
      const id = Number(request.params.id)
      // A fresh hit in this process's memory is answered without a promise: the hottest path.
      const inMemory = catalog.readFromMemory(id)
      if (inMemory === undefined) return readThroughAndSend(reply, id, request.headers)
      sendRead(reply, inMemory, request.headers)
    },
  )

  async function readThroughAndSend(
    reply: FastifyReply,
    id: number,
    headers: { 'if-none-match'?: string },
  ): Promise<void> {
    sendRead(reply, await catalog.read(id), headers)
    await reply // settles once the reply is sent: the handler must not look done before that
  }

  function sendRead(
    reply: FastifyReply,
    { product, cache }: ProductRead,
    headers: { 'if-none-match'?: string },
  ): void {
    sendCacheHeaders(reply, cache, graceSeconds)
    // Weak: the body's `source` differs between the load and the hits of one version (if-match.ts).
    reply.header('etag', readEtagOf(product.version))
    if (clientHasVersion(headers['if-none-match'], product.version)) reply.code(304).send(null)
    else if (cache.status === 'miss') reply.send({ source: 'db', data: product })
    else reply.type(JSON_UTF8).send(bodies.of(product, reply))
  }

  app.post(
    '/products',
    {
      onRequest: app.requireAdmin,
      schema: {
        tags,
        summary: 'Create a product (always synchronous, whatever WRITE_MODE says)',
        security: adminSecurity,
        body: ProductWriteSchema,
        response: {
          201: {
            ...ProductSchema,
            headers: { location: { type: 'string' }, etag: writeEtagSchema },
          },
          ...problemResponses(400, 401, 409, 413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      const product = await catalog.create(request.body)
      reply.code(201).header('location', `/products/${product.id}`)
      return reply.header('etag', etagOf(product.version)).send(product)
    },
  )

  const write = { tags, security: adminSecurity, params: IdParams, headers: IfMatchHeaders }
  const writeProblems = problemResponses(400, 401, 404, 409, 412, 413, 415)

  // PUT and PATCH may be deferred (write-behind); create and delete are always synchronous.
  const update = {
    ...write,
    headers: Type.Object({
      ...IfMatchHeaders.properties,
      prefer: Type.Optional(
        Type.String({
          description:
            'respond-async: answer 202 once the write is staged; a worker persists it ' +
            '(every PUT/PATCH does so with WRITE_MODE=behind)',
        }),
      ),
    }),
  }
  const updateResponses = {
    200: { ...ProductSchema, headers: { etag: writeEtagSchema } },
    202: {
      ...ProductSchema,
      description:
        'Accepted: reads return this state from now on; the database gets it shortly, or ' +
        'refuses it (see the persist-product-write job) and reads return its row again',
      headers: {
        'preference-applied': { type: 'string', enum: ['respond-async'] },
        etag: writeEtagSchema,
      },
    },
    ...writeProblems,
    ...problemResponses(503),
  }

  app.put(
    '/products/:id',
    {
      onRequest: app.requireAdmin,
      schema: {
        ...update,
        summary:
          'Replace a product; then its cache entry is invalidated (202 with Prefer: respond-async)',
        body: ProductWriteSchema,
        response: updateResponses,
      },
    },
    async (request, reply) => {
      const expected = expectedVersionFrom(request.headers['if-match'])
      const { product, deferred } = await catalog.update(
        Number(request.params.id),
        request.body,
        expected,
        { respondAsync: prefersRespondAsync(request.headers.prefer) },
      )
      if (deferred) reply.code(202).headers(PREFERENCE_APPLIED)
      return reply.header('etag', etagOf(product.version)).send(product)
    },
  )

  app.patch(
    '/products/:id',
    {
      onRequest: app.requireAdmin,
      schema: {
        ...update,
        summary:
          'Change some fields of a product; then its cache entry is invalidated (202 with ' +
          'Prefer: respond-async)',
        body: ProductPatchSchema,
        response: updateResponses,
      },
    },
    async (request, reply) => {
      const expected = expectedVersionFrom(request.headers['if-match'])
      const { product, deferred } = await catalog.update(
        Number(request.params.id),
        request.body,
        expected,
        { respondAsync: prefersRespondAsync(request.headers.prefer) },
      )
      if (deferred) reply.code(202).headers(PREFERENCE_APPLIED)
      return reply.header('etag', etagOf(product.version)).send(product)
    },
  )

  app.delete(
    '/products/:id',
    {
      onRequest: app.requireAdmin,
      schema: {
        ...write,
        summary: 'Delete a product and its cache entry (always synchronous)',
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...problemResponses(400, 401, 404, 412, 503),
        },
      },
    },
    async (request, reply) => {
      const expected = expectedVersionFrom(request.headers['if-match'])
      await catalog.remove(Number(request.params.id), expected)
      return reply.code(204).send(null)
    },
  )
}

export default productRoutes

/**
 * The 200 of GET /products is a page or a batch (a union, for the OpenAPI document). Serialized
 * by the route's union schema, every body would first be validated against both (ajv): a fifth
 * of a warm batch's CPU. Each branch knows its shape: serialize it by its own schema (compiled
 * once: Fastify caches it by schema object), and send the JSON as it is.
 */
function sendAs<S extends TSchema>(reply: FastifyReply, schema: S, body: Static<S>) {
  const json = reply.serializeInput(
    body as Record<string, unknown>,
    schema as Record<string, unknown>,
  )
  return reply.type(JSON_UTF8).send(json)
}
