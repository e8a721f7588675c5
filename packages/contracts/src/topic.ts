import type { Static, TSchema } from 'typebox'

/** A versioned topic name and the schema of its payload: publish and subscribe validate against it. */
export interface Topic<S extends TSchema = TSchema, N extends string = string> {
  name: N
  schema: S
}

/** The payload type of a topic. */
export type TopicPayload<T extends Topic> = Static<T['schema']>

export function defineTopic<const N extends string, S extends TSchema>(name: N, schema: S): Topic<S, N> {
  return { name, schema }
}
