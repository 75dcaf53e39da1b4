import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

/**
 * Checks every part of a request exactly as sent, with TypeBox's compiled checker. Unlike the
 * usual compilers it converts nothing: params, query strings and headers are declared as
 * strings (ids as digit patterns), so "1.5" is a 400 rather than product 1, and no request pays
 * for a conversion pass over its headers.
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const validator = Compile(schema)
  return (value) => {
    if (validator.Check(value)) return { value }
    const errors = validator.Errors(value) as FastifySchemaValidationError[]
    return { error: errors.map((error) => inWords(schema, error)) }
  }
}

/**
 * A failed keyword said in words where the schema has them (`x-pattern-message` beside
 * `pattern`, an OpenAPI extension, so the docs show it too): "must be a whole number from 1 to
 * 2147483647", not the 300-character expression that checks it.
 */
function inWords(
  schema: TSchema,
  error: FastifySchemaValidationError,
): FastifySchemaValidationError {
  const failing = schemaAt(schema, String(error.schemaPath ?? ''))
  const words = failing?.[`x-${error.keyword}-message`]
  return typeof words === 'string' ? { ...error, message: words } : error
}

/** The sub-schema a JSON pointer such as `#/properties/id` names, if any. */
function schemaAt(schema: unknown, pointer: string): Record<string, unknown> | undefined {
  let node: unknown = schema
  for (const segment of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[segment.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined
}
