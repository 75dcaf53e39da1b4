/**
 * Freezes `value` and every object and array reachable from it, in place, and returns it.
 * Meant for JSON-shaped data: it follows own enumerable properties only.
 *
 * Objects someone else already froze are walked too, since a shallow freeze can leave mutable
 * children behind; the `seen` set is what stops cycles. Iterative, so deep nesting cannot
 * overflow the stack.
 */
export function deepFreeze<T>(value: T): T {
  if (!isObject(value)) return value
  const seen = new Set<object>()
  const pending: object[] = [value]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue
    seen.add(next)
    Object.freeze(next)
    for (const child of Object.values(next)) {
      if (isObject(child)) pending.push(child)
    }
  }
  return value
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}
