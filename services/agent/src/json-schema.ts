import { Ajv, type ValidateFunction } from 'ajv'

/**
 * JSON Schema checks for what models and users send: tool arguments, structured output, an
 * agent's output schema. One Ajv per process: it caches compiled schemas by their content.
 * Not strict: schemas come from users and tools that use keywords ajv does not know (`format`).
 */
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })

/** Compiles `schema`; throws with ajv's message when it does not compile. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv.compile(schema)
}

/** The validator's errors as one line a model (or a person) can act on. */
export function describeErrors(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { dataVar: 'arguments' })
}
