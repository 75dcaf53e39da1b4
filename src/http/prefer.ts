/**
 * Whether the Prefer header (RFC 7240) asks for `respond-async`. Preferences are
 * comma-separated, each a token with an optional `=value` and `;parameters`; tokens are
 * case-insensitive, and several Prefer headers arrive joined with commas.
 */
export function prefersRespondAsync(prefer: string | undefined): boolean {
  if (prefer === undefined) return false
  return prefer
    .split(',')
    .some((preference) => preference.split(/[=;]/, 1)[0]?.trim().toLowerCase() === 'respond-async')
}

/** Sent back on a 202, as RFC 7240 asks, so the client knows its preference was honoured. */
export const PREFERENCE_APPLIED = { 'preference-applied': 'respond-async' } as const
