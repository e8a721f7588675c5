// The router's JSON body parser: Fastify's own (its prototype-poisoning checks kept), then a bound
// on nesting. The contract's schema leaves free-form fields unbounded (tool parameters, JSON
// schemas, any provider-specific extra), and JSON.stringify, which every provider calls on the
// body, throws past some thousands of levels: such a body is the caller's 400, refused here before
// validation and before any upstream (bounded recursion: the walk stops at the limit).
import type { KitServer } from '@switchyard/kit'
import { llmRouterErrors } from './errors.ts'

/** Replaces the JSON parser of the router's routes (its plugin's context only) with a bounded one. */
export function limitJsonDepth(app: KitServer, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Fastify's parser calls back inside its own try: whatever `done` throws must not land there.
    let parsed: { error: Error | null; value?: unknown } = { error: null }
    parse(request, body as string, (error: Error | null, value?: unknown) => {
      parsed = { error, value }
    })
    if (parsed.error !== null) return done(parsed.error, undefined)
    const field = deepField(parsed.value, maxDepth)
    if (field === undefined) return done(null, parsed.value)
    const refused = new llmRouterErrors.NestingTooDeep(maxDepth, field)
    refused.param = field
    done(refused, undefined)
  })
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
