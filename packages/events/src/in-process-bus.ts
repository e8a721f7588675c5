import { setTimeout as sleep } from 'node:timers/promises'
import type { Topic } from '@switchyard/contracts'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Static, TSchema } from 'typebox'
import { createEnvelope, deliverable, describeError } from './envelope.ts'
import {
  BusClosedError,
  type DeadLetter,
  dlqTopic,
  type EventBus,
  type EventEnvelope,
  type EventHandler,
  type Subscription,
  type TraceContextHooks,
} from './event-bus.ts'
import { defaultRetryPolicy, type RetryPolicy, runHandler } from './handler-retry.ts'
import { createBusMetrics } from './metrics.ts'
import { openRetainedLog, type RetainedLog } from './retained-log.ts'
import { isTransientFailure } from './transient-failure.ts'

export interface InProcessBusOptions {
  logger: Logger
  /** Handler retries before the dead-letter topic. */
  retry?: Partial<RetryPolicy>
  /**
   * Lanes per group: events are spread over them by key, each lane is handled one event at a
   * time (per-key order), different lanes run concurrently. Plays the role of Kafka partitions.
   */
  lanes?: number
  /** How long close() waits for queued events to be handled, in ms. */
  closeTimeoutMs?: number
  registry?: Registry
  traceContext?: TraceContextHooks
  /**
   * File where compacted topics' latest event per key is kept: a restarted process hands them to
   * its groups as Kafka's compacted topic would. Without it they are kept in memory only.
   */
  retainedFile?: string
}

interface QueuedEvent {
  envelope: EventEnvelope
  headers: Record<string, string>
}

interface Member {
  handler: (event: EventEnvelope) => Promise<void>
  closed: boolean
  /** Handler calls of this member in progress; close() waits for them. */
  inFlight: Set<Promise<unknown>>
}

interface Lane {
  queue: QueuedEvent[]
  draining: boolean
  /** Events handled so far: with the queue's length, where a subscriber's catch-up ends. */
  handled: number
}

interface Group {
  topic: Topic
  name: string
  members: Member[]
  lanes: Lane[]
  /** Subscriptions waiting to catch up: each lane's `handled` count that ends their backlog. */
  waiters: { targets: number[]; resolve(): void }[]
}

/**
 * The EventBus for the one-process shape: the Kafka bus's delivery contract, in memory.
 * Nothing survives the process, so it suits only a deployment that is one process anyway.
 * A group exists from its first subscription on and queues events for itself while it has no
 * live member; events published to a topic that no group has subscribed to are dropped, except
 * on a compacted topic, which keeps each key's latest event for the groups to come.
 */
export function createInProcessBus(options: InProcessBusOptions): EventBus {
  const logger = options.logger.child({ component: 'event-bus', bus: 'in-process' })
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry }
  const laneCount = Math.max(1, options.lanes ?? 8)
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000
  const metrics = createBusMetrics(options.registry)
  const trace = options.traceContext
  /** topic name -> group name -> group */
  const topics = new Map<string, Map<string, Group>>()
  const drains = new Set<Promise<void>>()
  /** Compacted topics' latest event per key, handed to each new group first. */
  const retained: RetainedLog<QueuedEvent> = openRetainedLog(options.retainedFile, logger)
  let closed = false

  function laneOf(key: string): number {
    // FNV-1a: stable and cheap; only needs to send one key to one lane.
    let hash = 0x811c9dc5
    for (let i = 0; i < key.length; i++) {
      hash ^= key.charCodeAt(i)
      hash = Math.imul(hash, 0x01000193)
    }
    return (hash >>> 0) % laneCount
  }

  function groupOf(topic: Topic, name: string): Group {
    let groups = topics.get(topic.name)
    if (!groups) {
      groups = new Map()
      topics.set(topic.name, groups)
    }
    let group = groups.get(name)
    if (!group) {
      const lanes: Lane[] = Array.from({ length: laneCount }, () => ({
        queue: [],
        draining: false,
        handled: 0,
      }))
      group = { topic, name, members: [], lanes, waiters: [] }
      groups.set(name, group)
      for (const queued of retained.events(topic.name)) {
        lanes[laneOf(queued.envelope.key)]?.queue.push({ ...queued, envelope: deliverable(queued.envelope) })
      }
    }
    return group
  }

  /** Resolves the group's subscriptions whose backlog is now handled. */
  function settleWaiters(group: Group): void {
    group.waiters = group.waiters.filter((waiter) => {
      const done = waiter.targets.every((target, index) => (group.lanes[index]?.handled ?? 0) >= target)
      if (done) waiter.resolve()
      return !done
    })
  }

  function schedule(group: Group, index: number): void {
    const lane = group.lanes[index]
    if (!lane || lane.draining || lane.queue.length === 0 || group.members.length === 0) return
    lane.draining = true
    // setImmediate: handlers never run on the publisher's stack, and a burst of publishes is queued
    // before the first delivery.
    const drain = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => drainLane(group, index, lane))
      .catch((error: unknown) => logger.error({ err: error, topic: group.topic.name }, 'lane drain failed'))
      .finally(() => {
        lane.draining = false
        drains.delete(drain)
        schedule(group, index)
      })
    drains.add(drain)
  }

  async function drainLane(group: Group, index: number, lane: Lane): Promise<void> {
    while (!closed) {
      const next = lane.queue[0]
      // A lane belongs to one member at a time (like a partition), so one key is never handled
      // by two members at once.
      const member = group.members.length > 0 ? group.members[index % group.members.length] : undefined
      if (!next || !member) return
      const outcome = await deliver(group, member, next)
      if (outcome === 'abandoned') continue
      lane.queue.shift()
      lane.handled += 1
      if (group.waiters.length > 0) settleWaiters(group)
    }
  }

  async function deliver(group: Group, member: Member, queued: QueuedEvent): Promise<'done' | 'abandoned'> {
    const { envelope } = queued
    if (member.closed) return 'abandoned'
    const run = () =>
      trace ? trace.run(queued.headers, () => member.handler(envelope)) : member.handler(envelope)
    const outcome = await runHandler(
      async () => {
        const call = run()
        member.inFlight.add(call)
        try {
          await call
        } finally {
          member.inFlight.delete(call)
        }
      },
      {
        policy,
        canRetry: () => !member.closed,
        isTransient: isTransientFailure,
        onError(error, attempt) {
          metrics.handlerFailed(group.topic.name, group.name)
          logger.warn(
            { err: error, topic: group.topic.name, group: group.name, eventId: envelope.id, attempt },
            'event handler failed',
          )
        },
      },
    )
    if (outcome.status === 'handled') {
      metrics.consumed(group.topic.name, group.name)
      return 'done'
    }
    if (outcome.status === 'abandoned') return 'abandoned'
    const letter: DeadLetter = {
      topic: group.topic.name,
      group: group.name,
      attempts: outcome.attempts,
      error: describeError(outcome.error),
      eventId: envelope.id,
      event: envelope,
    }
    logger.error(
      { topic: group.topic.name, group: group.name, eventId: envelope.id, error: letter.error },
      'event handler kept failing: event sent to the dead-letter topic',
    )
    metrics.deadLettered(group.topic.name, group.name)
    if (!closed) await publish(dlqTopic(group.topic), envelope.key, letter)
    return 'done'
  }

  async function enqueue(topic: Topic, queued: QueuedEvent): Promise<void> {
    if (topic.compacted) await retained.keep(topic.name, queued.envelope.key, queued)
    const groups = topics.get(topic.name)
    if (!groups) return
    // Handlers get what Kafka would hand them: a copy, not the publisher's objects.
    queued.envelope = deliverable(queued.envelope)
    const index = laneOf(queued.envelope.key)
    for (const group of groups.values()) {
      group.lanes[index]?.queue.push(queued)
      schedule(group, index)
    }
  }

  async function publish<S extends TSchema>(topic: Topic<S>, key: string, data: Static<S>) {
    if (closed) throw new BusClosedError()
    const envelope = createEnvelope(topic, key, data)
    await enqueue(topic, { envelope, headers: trace ? trace.inject() : {} })
    metrics.published(topic.name)
    return envelope
  }

  function queuedCount(): number {
    let count = 0
    for (const groups of topics.values()) {
      for (const group of groups.values()) {
        if (group.members.length === 0) continue
        for (const lane of group.lanes) count += lane.queue.length
      }
    }
    return count
  }

  const bus: EventBus = {
    publish,

    async subscribe<S extends TSchema>(topic: Topic<S>, group: string, handler: EventHandler<S>) {
      if (closed) throw new BusClosedError()
      const state = groupOf(topic, group)
      const member: Member = {
        handler: handler as (event: EventEnvelope) => Promise<void>,
        closed: false,
        inFlight: new Set(),
      }
      state.members.push(member)
      const caughtUp = new Promise<void>((resolve) => {
        state.waiters.push({ targets: state.lanes.map((lane) => lane.handled + lane.queue.length), resolve })
      })
      settleWaiters(state)
      for (let index = 0; index < laneCount; index++) schedule(state, index)
      const subscription: Subscription = {
        caughtUp,
        async close() {
          if (member.closed) return
          member.closed = true
          state.members = state.members.filter((m) => m !== member)
          await Promise.allSettled([...member.inFlight])
          // Its lanes now belong to the remaining members (if any).
          for (let index = 0; index < laneCount; index++) schedule(state, index)
        },
      }
      return subscription
    },

    async ready() {
      return !closed
    },

    async close() {
      if (closed) return
      const deadline = Date.now() + closeTimeoutMs
      while (queuedCount() > 0 && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...drains]), sleep(50)])
      }
      closed = true
      const left = queuedCount()
      if (left > 0) logger.warn({ events: left }, 'in-process bus closed with undelivered events')
      for (const groups of topics.values()) {
        for (const group of groups.values()) {
          for (const member of group.members) member.closed = true
        }
      }
      const timer = new AbortController()
      await Promise.race([
        Promise.allSettled([...drains]),
        sleep(closeTimeoutMs, undefined, { signal: timer.signal }).catch(() => {}),
      ])
      timer.abort()
      await retained.close()
    },
  }
  return bus
}
