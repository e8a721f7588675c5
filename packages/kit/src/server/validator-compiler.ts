import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

/**
 * Validates with TypeBox's compiler. Unlike Fastify's default ajv setup it never coerces a JSON
 * body (`"model": 1` stays a type error, as the OpenAI API answers), while querystring, params and
 * headers, which arrive as strings, are converted to the schema's types. Defaults are filled in.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema)
  const convert = httpPart !== 'body'
  return (input) => {
    const value = validator.Default(convert ? validator.Convert(input) : input)
    return validator.Check(value) ? { value } : { error: validator.Errors(value) }
  }
}
