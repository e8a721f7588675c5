import { defineTopic, type Topic } from '@switchyard/contracts'
import { type Static, type TSchema, Type } from 'typebox'

/** What travels on the bus: the payload wrapped with the fields every consumer relies on. */
export interface EventEnvelope<T = unknown> {
  /** Unique per event (UUID v7); consumers deduplicate on it (delivery is at least once). */
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
  /**
   * Resolves once this group has handled every event the topic held for it when it subscribed
   * (Kafka: each partition up to its high watermark of then; in process: what was queued for the
   * group, a compacted topic's retained events included). A consumer that must not act on a
   * partial state (the router's budgets) waits for it. Meaningful for a group of one subscription:
   * partitions another member holds are never counted here.
   */
  readonly caughtUp: Promise<void>
}

/**
 * The EventBus port. Delivery contract (both implementations, one contract suite):
 * - a compacted topic (`topic.compacted`) keeps each key's latest event: a group that subscribes
 *   later starts with those (Kafka: log compaction; in process: kept in memory, and in a file
 *   when the bus is given one, so a restarted process starts from the same state).
 * - publish resolves only once the event is durable (Kafka: acked by all in-sync replicas, or
 *   written to the local outbox while the broker is unreachable; in process: queued for every
 *   group); it rejects a payload that fails the topic's schema with EventValidationError.
 * - each consumer group receives every event published after the group's first subscription at
 *   least once; within a key, in publish order. Subscriptions sharing a group split the events:
 *   each event goes to one of them. Handlers never run on the publisher's call stack.
 * - an event counts as consumed only after its handler resolves; a handler that keeps failing
 *   is retried with backoff, then the event goes to `<topic>.dlq` (read it by subscribing to
 *   `dlqTopic(topic)`) and consumption moves on.
 * - the same event may arrive twice (a crash, a rebalance, an outbox replay): handlers must be
 *   idempotent by `event.id`.
 */
export interface EventBus {
  publish<S extends TSchema>(topic: Topic<S>, key: string, data: Static<S>): Promise<EventEnvelope<Static<S>>>
  subscribe<S extends TSchema>(
    topic: Topic<S>,
    group: string,
    handler: EventHandler<S>,
  ): Promise<Subscription>
  /** True when the bus can reach its broker (readiness). */
  ready(): Promise<boolean>
  /** Flushes buffered publishes (best effort within the timeout) and disconnects. */
  close(): Promise<void>
}

/** Hooks that carry trace context through events (e.g. W3C `traceparent` via OpenTelemetry). */
export interface TraceContextHooks {
  /** Headers to attach to an event at publish time, from the caller's active context. */
  inject(): Record<string, string>
  /** Runs a handler inside the context restored from an event's headers (e.g. a consumer span). */
  run<T>(headers: Record<string, string>, fn: () => Promise<T>): Promise<T>
}

/** What a dead-letter topic carries: the event a group gave up on, and why. */
export const DeadLetter = Type.Object({
  /** The topic the event was consumed from. */
  topic: Type.String(),
  /** The consumer group whose handler gave up on it. */
  group: Type.String(),
  /** Handler attempts made; 0 when the event could not be decoded or failed its schema. */
  attempts: Type.Integer({ minimum: 0 }),
  /** The last error. */
  error: Type.Object({ name: Type.String(), message: Type.String() }),
  /** The event's id, when it could be read. */
  eventId: Type.Union([Type.String(), Type.Null()]),
  /** The event as received: its envelope when it parsed as JSON, else the raw text. */
  event: Type.Unknown(),
  /** Where it was read from, for a Kafka bus. */
  source: Type.Optional(Type.Object({ partition: Type.Integer(), offset: Type.String() })),
})
export type DeadLetter = Static<typeof DeadLetter>

const dlqTopics = new Map<string, Topic<typeof DeadLetter>>()

/** The dead-letter topic of `topic`: `<topic>.dlq`, shared by every consumer group of the topic. */
export function dlqTopic(topic: Topic | string): Topic<typeof DeadLetter> {
  const name = `${typeof topic === 'string' ? topic : topic.name}.dlq`
  let dlq = dlqTopics.get(name)
  if (!dlq) {
    dlq = defineTopic(name, DeadLetter)
    dlqTopics.set(name, dlq)
  }
  return dlq
}

/** A payload (or a received event) that does not match its topic's schema. */
export class EventValidationError extends Error {
  override name = 'EventValidationError'
  readonly topic: string
  /** One line per failed check, as `<json pointer> <message>`. */
  readonly problems: string[]

  constructor(topic: string, problems: string[]) {
    super(`event for ${topic} does not match its schema: ${problems.join('; ')}`)
    this.topic = topic
    this.problems = problems
  }
}

/** publish or subscribe on a bus that is closing or closed. */
export class BusClosedError extends Error {
  override name = 'BusClosedError'
  constructor() {
    super('the event bus is closed')
  }
}
