import type { Topic } from '@switchyard/contracts'
import type { Static, TSchema } from 'typebox'

/** What travels on the bus: the payload wrapped with the fields every consumer relies on. */
export interface EventEnvelope<T = unknown> {
  /** Unique per event; consumers deduplicate on it (delivery is at least once). */
  id: string
  /** Versioned type name, equal to the topic it was published on, e.g. `llm.usage.v1`. */
  type: string
  /** ISO 8601 time the producer created the event. */
  time: string
  /** Partition key: events with one key are delivered in publish order. */
  key: string
  data: T
}

export type EventHandler<S extends TSchema> = (event: EventEnvelope<Static<S>>) => Promise<void>

export interface Subscription {
  /** Stops consuming; in-flight handlers finish first. */
  close(): Promise<void>
}

/**
 * The EventBus port. Delivery contract (both implementations, one contract suite):
 * - publish resolves only once the event is durable (Kafka: acked by all in-sync replicas, or
 *   written to the local outbox while the broker is unreachable); it rejects a payload that
 *   fails the topic's schema.
 * - each consumer group receives every event at least once; within a key, in publish order.
 * - an event counts as consumed only after its handler resolves; a handler that keeps failing
 *   is retried, then the event goes to `<topic>.dlq` and consumption moves on.
 */
export interface EventBus {
  publish<S extends TSchema>(topic: Topic<S>, key: string, data: Static<S>): Promise<EventEnvelope<Static<S>>>
  subscribe<S extends TSchema>(topic: Topic<S>, group: string, handler: EventHandler<S>): Promise<Subscription>
  /** True when the bus can reach its broker (readiness). */
  ready(): Promise<boolean>
  /** Flushes buffered publishes (best effort within the timeout) and disconnects. */
  close(): Promise<void>
}
