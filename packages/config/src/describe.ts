import type { TSchema } from 'typebox'
import { durationKeyword } from './duration.ts'

type Schema = TSchema & Record<string, unknown>

/** What a schema accepts, in the words of an error message: `integer >= 1`, `one of "a", "b"`. */
export function describeSchema(schema: TSchema): string {
  const s = schema as Schema
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Schema[]
    if (members.every((m) => 'const' in m))
      return `one of ${members.map((m) => JSON.stringify(m.const)).join(', ')}`
    return members.map(describeSchema).join(' or ')
  }
  if ('const' in s) return JSON.stringify(s.const)
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`
  switch (s.type) {
    case 'integer':
    case 'number':
      return s[durationKeyword] === true
        ? withBounds('duration (e.g. 500ms, 30s, 5m)', s, ' ms')
        : withBounds(String(s.type), s, '')
    case 'boolean':
      return 'boolean (true/false, 1/0, yes/no, on/off)'
    case 'string':
      return describeString(s)
    case 'array': {
      const items = s.items ? describeSchema(s.items as TSchema) : 'values'
      const min = typeof s.minItems === 'number' ? ` (at least ${s.minItems})` : ''
      return `comma-separated list or JSON array of ${items}${min}`
    }
    case 'object':
      return 'JSON object'
    default:
      return 'a valid value'
  }
}

function withBounds(base: string, s: Schema, unit: string): string {
  const bounds: string[] = []
  if (typeof s.minimum === 'number' && !(unit && s.minimum === 0)) bounds.push(`>= ${s.minimum}${unit}`)
  if (typeof s.exclusiveMinimum === 'number') bounds.push(`> ${s.exclusiveMinimum}${unit}`)
  if (typeof s.maximum === 'number') bounds.push(`<= ${s.maximum}${unit}`)
  if (typeof s.exclusiveMaximum === 'number') bounds.push(`< ${s.exclusiveMaximum}${unit}`)
  return bounds.length ? `${base} ${bounds.join(' and ')}` : base
}

function describeString(s: Schema): string {
  if (s.format === 'uri' && typeof s.pattern === 'string') {
    // Url() writes its schemes as the pattern's leading group.
    const schemes = /^\^\(\?:([^)]*)\)/.exec(s.pattern)?.[1]
    if (schemes) return `${schemes.split('|').join(' or ')} URL`
  }
  const parts: string[] = [s.minLength === 1 ? 'non-empty string' : 'string']
  if (typeof s.minLength === 'number' && s.minLength > 1) parts.push(`of at least ${s.minLength} characters`)
  if (typeof s.maxLength === 'number') parts.push(`of at most ${s.maxLength} characters`)
  if (typeof s.format === 'string') parts.push(`in format ${s.format}`)
  if (typeof s.pattern === 'string') parts.push(`matching /${s.pattern}/`)
  return parts.join(' ')
}
