import type { Static, TSchema } from 'typebox'

/** A versioned topic name and the schema of its payload: publish and subscribe validate against it. */
export interface Topic<S extends TSchema = TSchema, N extends string = string> {
  name: N
  schema: S
  /**
   * A compacted topic (Kafka `cleanup.policy=compact`): the broker keeps at least the latest event
   * of each key, so the topic is a table of current states a new consumer can read from the start.
   */
  compacted?: boolean
}

/** The payload type of a topic. */
export type TopicPayload<T extends Topic> = Static<T['schema']>

export function defineTopic<const N extends string, S extends TSchema>(
  name: N,
  schema: S,
  options: { compacted?: boolean } = {},
): Topic<S, N> {
  return options.compacted ? { name, schema, compacted: true } : { name, schema }
}
