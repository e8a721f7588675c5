import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { durationKeyword, parseDuration } from './duration.ts'

/** A value that cannot be turned into what the schema wants, with the reason in words. */
export class CoercionError extends Error {}

type Schema = TSchema & Record<string, unknown>

const booleans: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
}

/**
 * Turns text from the environment (or a loosely typed YAML value) into what the schema asks for:
 * numbers, booleans, durations, comma lists or JSON arrays, JSON objects. A value it cannot convert
 * is returned unchanged so that validation reports it; only malformed JSON throws.
 */
export function coerce(schema: TSchema, input: unknown): unknown {
  const s = schema as Schema
  if (Array.isArray(s.anyOf)) return coerceUnion(s.anyOf as TSchema[], input)
  if (typeof input === 'string') return coerceText(s, input)
  if (Array.isArray(input) && s.type === 'array' && s.items) {
    const items = s.items as TSchema
    return input.map((item) => coerce(items, item))
  }
  // YAML reads `version: 1.10` as a number; a string key wants the text.
  if ((typeof input === 'number' || typeof input === 'boolean') && s.type === 'string') return String(input)
  return input
}

function coerceUnion(members: TSchema[], input: unknown): unknown {
  for (const member of members) {
    const candidate = coerce(member, input)
    if (Value.Check(member, candidate)) return candidate
  }
  return input
}

function coerceText(s: Schema, text: string): unknown {
  const trimmed = text.trim()
  if ('const' in s) return coerceToKind(typeof s.const, trimmed) ?? text
  if (Array.isArray(s.enum)) {
    const hit = s.enum.find((v) => coerceToKind(typeof v, trimmed) === v)
    return hit ?? text
  }
  switch (s.type) {
    case 'integer':
    case 'number':
      if (s[durationKeyword] === true) return parseDuration(trimmed) ?? text
      return coerceToKind('number', trimmed) ?? text
    case 'boolean':
      return coerceToKind('boolean', trimmed) ?? text
    case 'array': {
      const items = s.items as TSchema | undefined
      const list = trimmed.startsWith('[') ? parseJson(trimmed, 'array') : splitList(trimmed)
      return Array.isArray(list) && items ? list.map((item) => coerce(items, item)) : list
    }
    case 'object':
      return trimmed.startsWith('{') ? parseJson(trimmed, 'object') : text
    default:
      return text
  }
}

function coerceToKind(kind: string, text: string): unknown {
  if (kind === 'string') return text
  if (kind === 'number') {
    if (text === '') return undefined
    const n = Number(text)
    return Number.isFinite(n) ? n : undefined
  }
  if (kind === 'boolean') return booleans[text.toLowerCase()]
  return undefined
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CoercionError(`invalid JSON ${what}: ${(error as Error).message}`)
  }
}
