import { afterAll, beforeAll, expect, it } from 'vitest'
import { auth, startTestApp, type TestApp } from '../support/app.js'

// Issue 15: a validation message says what is wanted, never the expression that checks it.

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

it.each([
  ['/products/abc', 'params: params/id must be a whole number from 1 to 2147483647'],
  ['/products/0', 'params: params/id must be a whole number from 1 to 2147483647'],
  ['/products/2147483648', 'params: params/id must be a whole number from 1 to 2147483647'],
  ['/products?limit=101', 'querystring: querystring/limit must be a whole number from 1 to 100'],
  [
    '/products?cursor=1.5',
    'querystring: querystring/cursor must be a whole number from 1 to 2147483647',
  ],
  [
    '/jobs/a:b',
    'params: params/id must be a job id as a 202 answered it: letters, digits, - and _, at most 100',
  ],
])('GET %s: 400 in words', async (url, detail) => {
  const response = await t.app.inject({ method: 'GET', url, headers: auth })
  expect(response.statusCode).toBe(400)
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(response.json().detail).toBe(detail)
  expect(response.body).not.toMatch(/pattern|\[0-9\]/)
})

it('shows the same words in the OpenAPI document, as an extension', async () => {
  const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).body
  expect(spec).toContain('"x-pattern-message":"must be a whole number from 1 to 2147483647"')
})
