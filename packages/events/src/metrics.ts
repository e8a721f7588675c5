import { Counter, Gauge, type Registry } from 'prom-client'

/** What a bus counts; a no-op without a registry. */
export interface BusMetrics {
  /** publish() resolved: the event is durable (acked by the broker, buffered, or queued in process). */
  published(topic: string): void
  /** Of those, written to the outbox because the broker was unreachable. */
  buffered(topic: string): void
  /** Replayed from the outbox and acked by the broker. */
  replayed(topic: string, count: number): void
  /** A handler resolved. */
  consumed(topic: string, group: string): void
  /** A handler attempt threw. */
  handlerFailed(topic: string, group: string): void
  /** An event went to the dead-letter topic. */
  deadLettered(topic: string, group: string): void
  /** Events waiting in the outbox. */
  outboxPending(count: number): void
}

const noop: BusMetrics = {
  published() {},
  buffered() {},
  replayed() {},
  consumed() {},
  handlerFailed() {},
  deadLettered() {},
  outboxPending() {},
}

// Two buses may share a registry (the runtime's, or a test's): reuse a metric registered earlier.
function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name)
  if (existing) return existing as Counter
  return new Counter({ name, help, labelNames, registers: [registry] })
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  const existing = registry.getSingleMetric(name)
  if (existing) return existing as Gauge
  return new Gauge({ name, help, registers: [registry] })
}

export function createBusMetrics(registry: Registry | undefined): BusMetrics {
  if (!registry) return noop
  const published = counter(registry, 'events_published_total', 'Events whose publish resolved (durable).', [
    'topic',
  ])
  const buffered = counter(
    registry,
    'events_buffered_total',
    'Events written to the local outbox while the broker was unreachable.',
    ['topic'],
  )
  const replayed = counter(registry, 'events_replayed_total', 'Outbox events acked by the broker.', ['topic'])
  const consumed = counter(registry, 'events_consumed_total', 'Events whose handler resolved.', [
    'topic',
    'group',
  ])
  const failed = counter(registry, 'events_handler_failures_total', 'Handler attempts that threw.', [
    'topic',
    'group',
  ])
  const dlq = counter(registry, 'events_dead_lettered_total', 'Events sent to the dead-letter topic.', [
    'topic',
    'group',
  ])
  const pending = gauge(registry, 'events_outbox_pending', 'Events waiting in the local outbox.')
  return {
    published: (topic) => published.inc({ topic }),
    buffered: (topic) => buffered.inc({ topic }),
    replayed: (topic, count) => replayed.inc({ topic }, count),
    consumed: (topic, group) => consumed.inc({ topic, group }),
    handlerFailed: (topic, group) => failed.inc({ topic, group }),
    deadLettered: (topic, group) => dlq.inc({ topic, group }),
    outboxPending: (count) => pending.set(count),
  }
}
