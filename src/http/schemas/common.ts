import { Type } from 'typebox'

/**
 * Digits for 1..2147483647 (the int4 range of the id column), spelled out digit by digit so
 * the bound is checked by validation like everything else.
 */
export const INT4_POSITIVE_DIGITS =
  '(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}' +
  '|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])'
const INT4_POSITIVE = `^${INT4_POSITIVE_DIGITS}$`

/**
 * Ids travel as strings of digits and are turned into numbers by the route. TypeBox's lenient
 * conversion would read "1.5" as 1 and "1e3" as 1000; the pattern turns those into a 400.
 */
export const IdString = Type.String({
  pattern: INT4_POSITIVE,
  'x-pattern-message': 'must be a whole number from 1 to 2147483647',
  description: 'An integer from 1 to 2147483647',
  examples: ['1'],
})

export const IdParams = Type.Object({ id: IdString })

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable, machine-readable error code' }),
    detail: Type.String(),
    instance: Type.String(),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
)

/** Response schemas for the errors any route may answer with. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [status, { ...ProblemSchema, description: `Problem (${status})` }]),
  )

export const adminSecurity = [{ adminToken: [] }]
