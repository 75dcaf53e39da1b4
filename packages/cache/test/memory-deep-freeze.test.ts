import { describe, expect, it } from 'vitest'
import { deepFreeze } from '../src/memory/deep-freeze.js'

interface Node {
  name: string
  children: Node[]
  parent?: Node
}

describe('deepFreeze', () => {
  it('freezes nested objects and arrays in place and returns the same value', () => {
    const value = { id: 1, tags: ['a', 'b'], dims: { w: 1, sizes: [{ cm: 2 }] }, price: null }
    expect(deepFreeze(value)).toBe(value)
    for (const part of [value, value.tags, value.dims, value.dims.sizes, value.dims.sizes[0]]) {
      expect(Object.isFrozen(part)).toBe(true)
    }
  })

  it('makes every mutation throw (ESM is strict mode)', () => {
    const value = deepFreeze({ tags: ['a'], dims: { w: 1 } })
    expect(() => {
      value.dims.w = 2
    }).toThrow(TypeError)
    expect(() => value.tags.push('b')).toThrow(TypeError)
    expect(() => {
      delete (value as { tags?: string[] }).tags
    }).toThrow(TypeError)
    expect(value).toEqual({ tags: ['a'], dims: { w: 1 } })
  })

  it('returns primitives as they are', () => {
    for (const primitive of [null, undefined, 0, 'text', true]) {
      expect(deepFreeze(primitive)).toBe(primitive)
    }
  })

  it('terminates on cycles, freezing every object on them', () => {
    const root: Node = { name: 'root', children: [] }
    const child: Node = { name: 'child', children: [], parent: root }
    root.children.push(child, root)
    deepFreeze(root)
    expect(Object.isFrozen(root)).toBe(true)
    expect(Object.isFrozen(root.children)).toBe(true)
    expect(Object.isFrozen(child)).toBe(true)
    expect(Object.isFrozen(child.children)).toBe(true)
  })

  it('walks into an object that was frozen only shallowly', () => {
    const inner = { w: 1 }
    const value = Object.freeze({ inner })
    deepFreeze(value)
    expect(Object.isFrozen(inner)).toBe(true)
  })

  it('handles nesting too deep for a recursive walk', () => {
    let deepest: { next?: object } = {}
    const root = deepest
    for (let depth = 0; depth < 100_000; depth++) {
      const next = {}
      deepest.next = next
      deepest = next
    }
    deepFreeze(root)
    expect(Object.isFrozen(deepest)).toBe(true)
  })
})
