/**
 * Words that stand where a metric name could, but are PromQL keywords or modifiers. Functions and
 * aggregations need no list: they are always followed by `(`.
 */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])

/** Label lists that follow a grouping or matching modifier, e.g. `by (le, route)`. */
const MODIFIER_LABELS = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g
const STRING_LITERAL = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g
/** `{__name__="…"}` selects a metric by name inside the matchers. */
const NAME_MATCHER = /__name__\s*=\s*"((?:[^"\\]|\\.)*)"/g
/** Grafana's template variables, e.g. `$__rate_interval`, `${cache}`. */
const GRAFANA_VARIABLE = /\$\{[^}]*\}|\$\w+/g
/** An identifier not glued to a number before it (`5m`, `1e3` are not names). */
const IDENTIFIER = /(?<![\w.])[A-Za-z_:][\w:]*/g

/**
 * The metric names a PromQL expression reads, sorted and without duplicates: what a dashboard
 * needs the service to export. Label names, label values, functions, keywords, durations and
 * Grafana variables are not names.
 */
export function metricNames(expression: string): string[] {
  const names = new Set<string>()
  for (const match of expression.matchAll(NAME_MATCHER)) names.add(match[1] as string)

  const code = expression
    .replace(STRING_LITERAL, '""')
    .replace(/\{[^}]*\}/g, ' ') // label matchers, now free of strings that could hold a brace
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations
    .replace(MODIFIER_LABELS, ' ')
    .replace(GRAFANA_VARIABLE, ' ')
  for (const match of code.matchAll(IDENTIFIER)) {
    const word = match[0]
    const after = code.slice(match.index + word.length)
    if (/^\s*\(/.test(after)) continue // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue
    names.add(word)
  }
  return [...names].sort()
}
