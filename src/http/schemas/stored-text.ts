import { Format } from 'typebox/format'

/**
 * Text every database stores as sent: well-formed Unicode (a lone surrogate cannot be encoded in
 * UTF-8, so PostgreSQL refuses it, and so does the Lua JSON decoder a deferred write goes
 * through) and no control characters (PostgreSQL refuses NUL in text). Checked at the edge, so a
 * write that would fail later is a 400, never a 202 the database then refuses.
 */
export const SINGLE_LINE_TEXT = 'single-line-text'
/** The same, with tabs and line breaks allowed: a description. */
export const MULTI_LINE_TEXT = 'multi-line-text'

/**
 * A control character (Cc: C0, DEL and C1) or half a surrogate pair (Cs, which the `u` flag
 * matches only unpaired): no UTF-8 encoding has one.
 */
const NOT_STORED_TEXT = /[\p{Cc}\p{Cs}]/u
/** The same, but for tab, line feed and carriage return. */
const NOT_STORED_TEXT_WITH_LINES = /(?![\t\n\r])[\p{Cc}\p{Cs}]/u

export function isSingleLineText(value: string): boolean {
  return !NOT_STORED_TEXT.test(value)
}

export function isMultiLineText(value: string): boolean {
  return !NOT_STORED_TEXT_WITH_LINES.test(value)
}

// The validators compiled from the request schemas look formats up here when they check.
Format.Set(SINGLE_LINE_TEXT, isSingleLineText)
Format.Set(MULTI_LINE_TEXT, isMultiLineText)
