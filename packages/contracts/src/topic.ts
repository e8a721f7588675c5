import type { TSchema } from 'typebox'

/** A versioned topic name and the schema of its payload: publish and subscribe validate against it. */
export interface Topic<S extends TSchema = TSchema> {
  name: string
  schema: S
}

export function defineTopic<S extends TSchema>(name: string, schema: S): Topic<S> {
  return { name, schema }
}
