import { Type } from 'typebox'
import {
  ProductFieldsSchema,
  ProductPageSchema,
  ProductSchema,
  TEXT_LENGTHS,
} from '../../catalog/product.js'
import { IdString, INT4_POSITIVE_DIGITS } from './common.js'
import { MULTI_LINE_TEXT, SINGLE_LINE_TEXT } from './stored-text.js'

export { ProductFieldsSchema, ProductPageSchema, ProductSchema }

export const ProductReadSchema = Type.Object({
  source: Type.Union([Type.Literal('cache'), Type.Literal('db')], {
    description: 'cache: a cache tier answered (X-Cache HIT or STALE); db: it was loaded (MISS)',
  }),
  data: ProductSchema,
})

/**
 * The fields as a client writes them: free text must be text the database stores as sent
 * (stored-text.ts). Responses and cached values keep the plain schema: the write checked it.
 */
export const ProductWriteSchema = Type.Object(
  {
    ...ProductFieldsSchema.properties,
    name: Type.String({ ...TEXT_LENGTHS.name, format: SINGLE_LINE_TEXT }),
    description: Type.String({ ...TEXT_LENGTHS.description, format: MULTI_LINE_TEXT }),
    category: Type.String({ ...TEXT_LENGTHS.category, format: SINGLE_LINE_TEXT }),
  },
  { additionalProperties: false },
)

export const ProductPatchSchema = Type.Partial(ProductWriteSchema, {
  additionalProperties: false,
  minProperties: 1,
})

/** The most ids one batch read may ask for. */
export const MAX_BATCH_IDS = 100

export const ProductListQuery = Type.Object(
  {
    cursor: Type.Optional({ ...IdString, description: 'next_cursor of the previous page' }),
    limit: Type.Optional(
      Type.String({
        pattern: '^(?:[1-9]|[1-9][0-9]|100)$',
        'x-pattern-message': 'must be a whole number from 1 to 100',
        description: 'Products per page (default 20)',
      }),
    ),
    ids: Type.Optional(
      Type.String({
        pattern: `^${INT4_POSITIVE_DIGITS}(?:,${INT4_POSITIVE_DIGITS}){0,${MAX_BATCH_IDS - 1}}$`,
        'x-pattern-message': `must be 1 to ${MAX_BATCH_IDS} ids separated by commas, each a whole number from 1 to 2147483647`,
        description: `A batch read instead of a page: up to ${MAX_BATCH_IDS} ids, e.g. 1,2,3. Answers the products in the order asked and the ids that are no product; not combined with cursor or limit.`,
        examples: ['1,2,3'],
      }),
    ),
  },
  { additionalProperties: false },
)

export const ProductBatchSchema = Type.Object({
  items: Type.Array(ProductSchema, { description: 'The products, in the order asked' }),
  missing: Type.Array(Type.Integer(), { description: 'The ids asked that are no product' }),
})

/** The ETag of a read: weak, as `source` differs between a load and the hits (http/if-match.ts). */
export const readEtagSchema = {
  type: 'string',
  description:
    'Weak, W/"<version>": the body\'s source differs between a load and a hit of the same ' +
    'version. For If-None-Match as it is; If-Match takes the strong "<version>"',
  examples: ['W/"3"'],
}

/** The ETag of a write's answer: strong, as the product alone has one body per version. */
export const writeEtagSchema = {
  type: 'string',
  description: 'Strong, "<version>": send it as If-Match to write only over this state',
  examples: ['"3"'],
}

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'Write only if the product is still at this version: one strong ETag, the version in ' +
        'quotes ("3": data.version of a read, or the ETag of a write\'s answer), or *. A ' +
        'read\'s weak ETag (W/"3") is refused with 400: If-Match compares strongly (RFC 9110)',
    }),
  ),
})

export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({
      description:
        'Answer 304 without a body if the product is still at this ETag (weak comparison: ' +
        'W/"3" and "3" both match version 3)',
    }),
  ),
})

export const KeyVersionSchema = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'Current product key version (vN in keys)' }),
})
