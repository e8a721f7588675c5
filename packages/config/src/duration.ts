import { type TInteger, Type } from 'typebox'

/** Marks an integer schema whose string input is a duration (`30s`), coerced to milliseconds. */
export const durationKeyword = 'x-duration'

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/

/**
 * Parses `250ms`, `30s`, `1.5m`, `2h`, `1d` or a bare number of milliseconds into whole milliseconds.
 * Returns undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim())
  if (!match) return undefined
  const [, amount, unit = 'ms'] = match
  const factor = unitMs[unit]
  if (amount === undefined || factor === undefined) return undefined
  return Math.round(Number(amount) * factor)
}

export interface DurationOptions {
  /** Default, as a duration string (`30s`) or milliseconds. */
  default?: string | number
  /** Lower bound in milliseconds (default 0). */
  minimum?: number
  /** Upper bound in milliseconds. */
  maximum?: number
  description?: string
}

/**
 * A duration config key: written `30s`, `500ms`, `5m`, `1h`, `1d` or a bare number of milliseconds,
 * loaded as an integer number of milliseconds.
 */
export function Duration(options: DurationOptions = {}): TInteger {
  const { default: fallback, minimum = 0, ...rest } = options
  const schema: Record<string, unknown> = { minimum, ...rest, [durationKeyword]: true }
  if (fallback !== undefined) {
    const ms = typeof fallback === 'number' ? fallback : parseDuration(fallback)
    if (ms === undefined) throw new TypeError(`Duration: invalid default ${JSON.stringify(fallback)}`)
    schema.default = ms
  }
  return Type.Integer(schema)
}
