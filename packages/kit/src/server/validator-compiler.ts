import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { kitErrors } from '../errors/errors.ts'

/**
 * Validates with TypeBox's compiler. A body first has its nesting bounded (`maxBodyDepth`, the
 * body being level 1): free-form fields (tool `parameters`, a JSON schema, a filter tree) are not
 * bounded by their schema, and a body nested some thousands deep makes `JSON.stringify`, or any
 * recursive walk of it, throw further on. Refused here, it is the caller's 400 before any handler
 * (bounded work: the walk stops at the limit).
 * Unlike Fastify's default ajv setup it never coerces a JSON
 * body (`"model": 1` stays a type error, as the OpenAI API answers), while querystring, params and
 * headers, which arrive as strings, are converted to the schema's types. Defaults are filled in.
 *
 * Filling defaults walks the value and the schema without compiled code (about 100 µs for a
 * one-message chat body, 1 ms for twenty messages), so it runs only for a schema that declares a
 * default somewhere: decided once, when the route's schema is compiled. Without one it would
 * change nothing.
 */
export function createValidatorCompiler(maxBodyDepth: number): FastifySchemaCompiler<TSchema> {
  return ({ schema, httpPart }) => {
    const validator = Compile(schema)
    const body = httpPart === 'body'
    const fill = hasDefaults(schema)
    return (input) => {
      if (body) {
        const field = deepField(input, maxBodyDepth)
        if (field !== undefined) {
          const refused = new kitErrors.NestingTooDeep(maxBodyDepth, field)
          refused.param = field
          return { error: refused }
        }
      }
      const converted = body ? input : validator.Convert(input)
      const value = fill ? validator.Default(converted) : converted
      return validator.Check(value) ? { value } : { error: validator.Errors(value) }
    }
  }
}

/**
 * The top-level field of `body` that nests containers deeper than `maxDepth` levels (the body
 * itself is level 1), or undefined when none does.
 */
export function deepField(body: unknown, maxDepth: number): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  if (Array.isArray(body)) {
    for (let i = 0; i < body.length; i++) if (tooDeep(body[i], maxDepth - 1)) return `[${i}]`
    return undefined
  }
  for (const key in body) if (tooDeep((body as Record<string, unknown>)[key], maxDepth - 1)) return key
  return undefined
}

/** Whether `value` holds containers deeper than `levels` (a container at level 0 is too deep). */
function tooDeep(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (levels <= 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (tooDeep(value[i], levels - 1)) return true
    return false
  }
  for (const key in value) if (tooDeep((value as Record<string, unknown>)[key], levels - 1)) return true
  return false
}

/** Keywords whose value maps names to subschemas: their keys are names, never keywords. */
const schemaMaps = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'])

/** Whether `default` appears as a keyword anywhere in the schema, its `$defs` included. */
export function hasDefaults(schema: unknown, seen = new Set<object>()): boolean {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return false
  seen.add(schema)
  if (Array.isArray(schema)) return schema.some((item) => hasDefaults(item, seen))
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'default') return true
    if (keyword === 'const' || keyword === 'enum' || keyword === 'examples') continue
    if (schemaMaps.has(keyword) && typeof value === 'object' && value !== null) {
      if (Object.values(value).some((sub) => hasDefaults(sub, seen))) return true
    } else if (hasDefaults(value, seen)) return true
  }
  return false
}
