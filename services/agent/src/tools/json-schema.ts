import { Ajv } from 'ajv'

// One instance, compiling only: strict about unknown keywords (a typo is a schema that does not
// compile, not a rule silently ignored), quiet about the rest.
const ajv = new Ajv({
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  logger: false,
})

/** Why `schema` does not compile as a JSON schema, or null when it does. */
export function schemaProblem(schema: Record<string, unknown>): string | null {
  try {
    ajv.compile(schema)
    return null
  } catch (error) {
    return (error as Error).message
  } finally {
    // Compiled only to check it; the loop compiles what it validates with.
    ajv.removeSchema(schema)
  }
}
