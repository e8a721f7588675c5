import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Topic } from '@switchyard/contracts'
import {
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type EachMessagePayload,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type TopicMessages,
} from 'kafkajs'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Static, TSchema } from 'typebox'
import { createEnvelope, describeError } from './envelope.ts'
import {
  BusClosedError,
  type DeadLetter,
  dlqTopic,
  type EventBus,
  type EventEnvelope,
  type EventHandler,
  EventValidationError,
  type Subscription,
  type TraceContextHooks,
} from './event-bus.ts'
import { defaultRetryPolicy, type RetryPolicy, runHandler } from './handler-retry.ts'
import { isLeaderPending, isTransient, kafkaLogCreator, withTimeout } from './kafka-client.ts'
import { decodeEvent, encodeEvent, headersOf } from './kafka-codec.ts'
import { createBusMetrics } from './metrics.ts'
import { type Outbox, type OutboxRecord, openOutbox } from './outbox.ts'
import { isTransientFailure } from './transient-failure.ts'

/** Consumer-group tuning; the defaults favour quick joins and short shutdowns. */
export interface KafkaConsumerOptions {
  /** ms without a heartbeat before the broker drops a member (the broker's minimum is usually 6000). */
  sessionTimeout?: number
  /** ms between heartbeats; a rebalance is noticed within one interval. */
  heartbeatInterval?: number
  /** ms the coordinator waits for members to rejoin during a rebalance. */
  rebalanceTimeout?: number
  /** ms a fetch waits for data; also bounds how long a close waits for an idle fetch. */
  maxWaitTimeInMs?: number
  /** A group with no committed offset starts at the oldest retained event (true) or the newest. */
  fromBeginning?: boolean
  /** Partitions handled concurrently per subscription (order holds within a partition). */
  partitionsConsumedConcurrently?: number
  /** ms subscribe() waits for the group join before it resolves anyway (and logs). */
  joinTimeoutMs?: number
}

export interface KafkaBusOptions {
  /** host:port list. */
  brokers: string[]
  clientId: string
  logger: Logger
  /**
   * Directory of the durable publish outbox. With it, a publish while Kafka is unreachable is
   * written there (fsync'd) and resolves, and a background loop replays it in order; without it,
   * such a publish rejects. One process per directory.
   */
  outboxDir?: string
  ssl?: KafkaConfig['ssl']
  sasl?: KafkaConfig['sasl']
  /** Partitions of a topic the bus creates. */
  numPartitions?: number
  /** Replicas of a topic the bus creates. */
  replicationFactor?: number
  /** Handler retries before the dead-letter topic. */
  retry?: Partial<RetryPolicy>
  /** ms a connect, topic creation or send may take before the broker counts as unreachable. */
  sendTimeoutMs?: number
  /** ms between outbox replay attempts while Kafka is down (doubles up to 5 s). */
  replayBackoffMs?: number
  /** Most events per produce request (a burst of publishes, or an outbox replay batch). */
  maxBatch?: number
  /** Largest serialized event in bytes; larger ones are rejected at publish (Kafka's default limit is ~1 MB). */
  maxEventBytes?: number
  /** ms close() spends flushing the outbox before it leaves the rest for the next start. */
  closeTimeoutMs?: number
  consumer?: KafkaConsumerOptions
  registry?: Registry
  traceContext?: TraceContextHooks
}

interface PendingPublish {
  record: OutboxRecord
  resolve(): void
  reject(error: unknown): void
}

interface ConsumerSubscription {
  close(): Promise<void>
  caughtUp: Promise<void>
}

const REPLAY_MAX_BACKOFF_MS = 5_000
// ConfigResourceTypes.TOPIC: kafkajs does not expose that enum as a named ESM export under Node.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes

function groupByTopic(records: OutboxRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>()
  for (const { topic, key, value, headers } of records) {
    let entry = byTopic.get(topic)
    if (!entry) {
      entry = { topic, messages: [] }
      byTopic.set(topic, entry)
    }
    entry.messages.push({ key, value, headers })
  }
  return [...byTopic.values()]
}

/**
 * The EventBus on Kafka (kafkajs): an idempotent producer with acks=all and keyed partitions,
 * consumer groups that commit an offset only after its handler resolved, a dead-letter topic per
 * topic, and a durable local outbox that keeps publishes working through a broker outage.
 *
 * Ordering: every send goes through one queue, one produce request at a time, and while the
 * outbox holds anything new publishes join the end of the outbox rather than overtake it, so
 * events with one key reach Kafka in publish order even across an outage.
 */
export async function createKafkaBus(options: KafkaBusOptions): Promise<EventBus> {
  const logger = options.logger.child({ component: 'event-bus', bus: 'kafka', clientId: options.clientId })
  const sendTimeoutMs = options.sendTimeoutMs ?? 2_000
  const replayBackoffMs = options.replayBackoffMs ?? 250
  const maxBatch = options.maxBatch ?? 500
  const maxEventBytes = options.maxEventBytes ?? 1_000_000
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000
  const numPartitions = options.numPartitions ?? 3
  const replicationFactor = options.replicationFactor ?? 1
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry }
  const consumerOptions = {
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 1_000,
    fromBeginning: true,
    partitionsConsumedConcurrently: 1,
    joinTimeoutMs: 30_000,
    ...options.consumer,
  }
  const metrics = createBusMetrics(options.registry)
  const trace = options.traceContext

  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: Math.min(1_000, sendTimeoutMs),
    requestTimeout: Math.max(10_000, consumerOptions.maxWaitTimeInMs + 5_000),
    // Short on purpose: when the broker is gone the outbox takes over, not a 30 s retry loop.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger),
  })

  const outbox: Outbox | undefined = options.outboxDir
    ? await openOutbox(options.outboxDir, logger)
    : undefined
  metrics.outboxPending(outbox?.pending() ?? 0)

  // ---- clients, created lazily and replaced after a transient failure -------------------------

  let producer: Promise<Producer> | undefined
  let admin: Promise<Admin> | undefined

  function getProducer(): Promise<Producer> {
    if (!producer) {
      const created = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      })
      const connecting = withTimeout(created.connect(), sendTimeoutMs, 'producer connect').then(() => created)
      connecting.catch(() => created.disconnect().catch(() => {}))
      producer = connecting
    }
    return producer
  }

  // After a failed send the producer's sequence numbers may disagree with the broker's: use a new
  // producer (new producer id) for the next attempt.
  function discardProducer(): void {
    const old = producer
    producer = undefined
    old?.then((p) => p.disconnect()).catch(() => {})
  }

  function getAdmin(): Promise<Admin> {
    if (!admin) {
      const created = kafka.admin()
      const connecting = withTimeout(created.connect(), sendTimeoutMs, 'admin connect').then(() => created)
      connecting.catch(() => created.disconnect().catch(() => {}))
      admin = connecting
    }
    return admin
  }

  function discardAdmin(): void {
    const old = admin
    admin = undefined
    old?.then((a) => a.disconnect()).catch(() => {})
  }

  const knownTopics = new Map<string, Promise<void>>()
  // Names of the compacted topics this bus has been handed (publish or subscribe).
  const compactedTopics = new Set<string>()

  function ensureTopic(name: string, compacted = compactedTopics.has(name)): Promise<void> {
    let ready = knownTopics.get(name)
    if (!ready) {
      ready = createTopic(name, compacted).catch((error: unknown) => {
        knownTopics.delete(name)
        if (isTransient(error)) discardAdmin()
        throw error
      })
      knownTopics.set(name, ready)
    }
    return ready
  }

  async function createTopic(name: string, compacted: boolean): Promise<void> {
    const client = await getAdmin()
    const configEntries = compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []
    const created = await withTimeout(
      client.createTopics({
        topics: [{ topic: name, numPartitions, replicationFactor, configEntries }],
        waitForLeaders: false,
        timeout: sendTimeoutMs,
      }),
      sendTimeoutMs * 2,
      `create topic ${name}`,
    )
    if (created) logger.info({ topic: name, numPartitions, replicationFactor, compacted }, 'created topic')
    else if (compacted) await makeCompacted(client, name)
    // Right after creation the broker may not list the topic or its leaders yet (kafkajs's own
    // waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION): wait until every partition has one.
    const deadline = Date.now() + sendTimeoutMs * 2
    for (;;) {
      try {
        const { topics } = await withTimeout(
          client.fetchTopicMetadata({ topics: [name] }),
          sendTimeoutMs,
          `metadata of ${name}`,
        )
        const partitions = topics[0]?.partitions ?? []
        if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return
      } catch (error) {
        if (!isLeaderPending(error) || Date.now() > deadline) throw error
      }
      if (Date.now() > deadline)
        throw new Error(`topic ${name} has no leader ${sendTimeoutMs * 2} ms after creation`)
      await sleep(100)
    }
  }

  /**
   * A topic that should be compacted but was created before it was (an older version, or by hand):
   * set `cleanup.policy=compact`. Only when it differs, since kafkajs' alterConfigs replaces the
   * topic's other dynamic settings too.
   */
  async function makeCompacted(client: Admin, name: string): Promise<void> {
    const { resources } = await withTimeout(
      client.describeConfigs({
        resources: [{ type: TOPIC_RESOURCE, name, configNames: ['cleanup.policy'] }],
        includeSynonyms: false,
      }),
      sendTimeoutMs,
      `describe ${name}`,
    )
    const policy = resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue
    if (policy?.split(',').includes('compact')) return
    await withTimeout(
      client.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
      }),
      sendTimeoutMs,
      `compact ${name}`,
    )
    logger.warn({ topic: name, was: policy }, 'topic set to cleanup.policy=compact')
  }

  async function send(records: OutboxRecord[]): Promise<void> {
    await Promise.all([...new Set(records.map((r) => r.topic))].map((name) => ensureTopic(name)))
    try {
      const client = await getProducer()
      await withTimeout(
        client.sendBatch({ acks: -1, timeout: sendTimeoutMs, topicMessages: groupByTopic(records) }),
        sendTimeoutMs,
        'send',
      )
    } catch (error) {
      discardProducer()
      throw error
    }
  }

  // ---- publishing: one queue, then Kafka or the outbox -----------------------------------------

  const queue: PendingPublish[] = []
  let pumping: Promise<void> | undefined
  let outage = false
  let closing = false

  function pump(): void {
    if (pumping) return
    pumping = (async () => {
      while (queue.length > 0) await deliver(queue.splice(0, maxBatch))
    })().finally(() => {
      pumping = undefined
      if (queue.length > 0) pump()
    })
  }

  async function deliver(batch: PendingPublish[]): Promise<void> {
    const records = batch.map((p) => p.record)
    // Order: while the outbox holds events, new ones queue behind them.
    if (outbox && outbox.pending() > 0) return buffer(batch)
    try {
      await send(records)
    } catch (error) {
      if (outbox && isTransient(error)) {
        if (!outage) logger.warn({ err: error }, 'Kafka unreachable: buffering events in the outbox')
        outage = true
        return buffer(batch)
      }
      for (const p of batch) p.reject(error)
      return
    }
    for (const p of batch) {
      metrics.published(p.record.topic)
      p.resolve()
    }
  }

  async function buffer(batch: PendingPublish[]): Promise<void> {
    if (!outbox) throw new Error('unreachable: buffer without an outbox')
    try {
      await outbox.append(batch.map((p) => p.record))
    } catch (error) {
      logger.error({ err: error }, 'outbox append failed')
      for (const p of batch) p.reject(error)
      return
    }
    metrics.outboxPending(outbox.pending())
    for (const p of batch) {
      metrics.published(p.record.topic)
      metrics.buffered(p.record.topic)
      p.resolve()
    }
    startReplay()
  }

  /** Validates, then resolves once the event is acked by Kafka or in the outbox. */
  async function publishEvent(topic: Topic, key: string, data: unknown): Promise<EventEnvelope> {
    if (topic.compacted) compactedTopics.add(topic.name)
    const envelope = createEnvelope(topic, key, data)
    const record = encodeEvent(envelope, options.clientId, trace ? trace.inject() : {})
    const bytes = Buffer.byteLength(record.value)
    if (bytes > maxEventBytes) {
      throw new EventValidationError(topic.name, [`event is ${bytes} bytes; the limit is ${maxEventBytes}`])
    }
    await new Promise<void>((resolve, reject) => {
      queue.push({ record, resolve, reject })
      pump()
    })
    return envelope
  }

  // ---- outbox replay ---------------------------------------------------------------------------

  let replaying: Promise<void> | undefined
  let stopReplay = false
  let wakeReplay: (() => void) | undefined

  function startReplay(): void {
    if (!outbox || replaying || stopReplay || outbox.pending() === 0) return
    replaying = replay(outbox)
      .catch((error: unknown) => logger.error({ err: error }, 'outbox replay failed'))
      .finally(() => {
        replaying = undefined
        if (!stopReplay && outbox.pending() > 0) setTimeout(startReplay, replayBackoffMs).unref()
      })
  }

  async function pause(ms: number): Promise<void> {
    const controller = new AbortController()
    wakeReplay = () => controller.abort()
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => {})
    wakeReplay = undefined
  }

  async function replay(box: Outbox): Promise<void> {
    let backoff = replayBackoffMs
    let limit = maxBatch
    let replayed = 0
    while (!stopReplay && box.pending() > 0) {
      const batch = await box.peek(limit)
      if (batch.records.length === 0) {
        await box.ack(batch)
        continue
      }
      try {
        await send(batch.records)
      } catch (error) {
        if (isTransient(error)) {
          logger.debug({ err: error, pending: box.pending() }, 'outbox replay: Kafka still unreachable')
          await pause(backoff)
          backoff = Math.min(backoff * 2, REPLAY_MAX_BACKOFF_MS)
          continue
        }
        if (batch.records.length > 1) {
          // Kafka refuses something in this batch: go one by one to find it.
          limit = 1
          continue
        }
        // Kafka will never take this one; keep it beside the outbox rather than block the rest.
        await appendFile(join(box.dir, 'outbox.rejected.jsonl'), `${JSON.stringify(batch.records[0])}\n`)
        logger.error(
          { err: error, record: batch.records[0] },
          'outbox replay: Kafka refused an event; set aside',
        )
        await box.ack(batch)
        continue
      }
      await box.ack(batch)
      replayed += batch.records.length
      for (const record of batch.records) metrics.replayed(record.topic, 1)
      metrics.outboxPending(box.pending())
      backoff = replayBackoffMs
      limit = maxBatch
    }
    if (box.pending() === 0) {
      if (replayed > 0) logger.info({ replayed }, 'outbox drained: Kafka has every buffered event')
      outage = false
    }
  }

  // ---- consuming -------------------------------------------------------------------------------

  const subscriptions = new Set<ConsumerSubscription>()

  async function deadLetter(topic: Topic, group: string, key: string, letter: DeadLetter): Promise<void> {
    logger.error(
      { topic: topic.name, group, eventId: letter.eventId, error: letter.error, attempts: letter.attempts },
      'event sent to the dead-letter topic',
    )
    metrics.deadLettered(topic.name, group)
    // Durable like any publish (Kafka or outbox) before the offset moves past the event.
    await publishEvent(dlqTopic(topic), key, letter)
  }

  /**
   * Where a new subscription's catch-up ends: each partition's high watermark as the subscription
   * starts, for the partitions where the group's position (its committed offset, or the first or
   * next offset by `fromBeginning`) is below it.
   */
  async function startingPoint(
    name: string,
    group: string,
  ): Promise<{ done: Promise<void>; handled(partition: number, offset: string): void }> {
    const client = await getAdmin()
    // On a broker just started, or while leaders move, the group coordinator and the partition
    // leaders answer "not the coordinator/leader" for a while: retriable, so asked again.
    const [ends, committed] = await whileRetriable(() =>
      Promise.all([
        withTimeout(client.fetchTopicOffsets(name), sendTimeoutMs, `offsets of ${name}`),
        withTimeout(
          client.fetchOffsets({ groupId: group, topics: [name] }),
          sendTimeoutMs,
          `offsets of ${group}`,
        ),
      ]),
    )
    const positions = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? [])
    /** partition -> the offset after the last event it held when the subscription started */
    const remaining = new Map<number, number>()
    for (const { partition, high, low } of ends) {
      const position = positions.get(partition) ?? -1
      const start = position >= 0 ? position : consumerOptions.fromBeginning ? Number(low) : Number(high)
      if (start < Number(high)) remaining.set(partition, Number(high))
    }
    let resolve: () => void = () => {}
    const done = new Promise<void>((r) => {
      resolve = r
    })
    if (remaining.size === 0) resolve()
    return {
      done,
      handled(partition, offset) {
        const end = remaining.get(partition)
        if (end === undefined || Number(offset) + 1 < end) return
        remaining.delete(partition)
        if (remaining.size === 0) resolve()
      },
    }
  }

  async function startSubscription(
    topic: Topic,
    group: string,
    handler: (event: EventEnvelope) => Promise<void>,
  ): Promise<ConsumerSubscription> {
    const log = logger.child({ topic: topic.name, group })
    let closed = false
    let consumer: Consumer | undefined
    let restartTimer: NodeJS.Timeout | undefined
    const catchUp = await startingPoint(topic.name, group)

    async function handleMessage({
      partition,
      message,
      heartbeat,
      pause,
    }: EachMessagePayload): Promise<void> {
      const headers = headersOf(message.headers)
      const decoded = decodeEvent(topic, message, headers)
      const source = { partition, offset: message.offset }
      const key = message.key?.toString() || 'unknown'
      if (!decoded.ok) {
        await deadLetter(topic, group, key, {
          topic: topic.name,
          group,
          attempts: 0,
          error: describeError(decoded.error),
          eventId: decoded.eventId,
          event: decoded.event,
          source,
        })
        catchUp.handled(partition, message.offset)
        return
      }
      const { envelope } = decoded
      // While a transient failure is waited out the partition is paused: nothing behind this
      // event is fetched for it, and its offset stays where it is until the handler succeeds.
      let resume: (() => void) | undefined
      let outcome: Awaited<ReturnType<typeof runHandler>>
      try {
        outcome = await runHandler(
          () => (trace ? trace.run(headers, () => handler(envelope)) : handler(envelope)),
          {
            policy,
            whileWaiting: heartbeat,
            canRetry: () => !closed,
            isTransient: isTransientFailure,
            onError(error, attempt) {
              metrics.handlerFailed(topic.name, group)
              const transient = isTransientFailure(error)
              if (transient && !resume) resume = pause()
              log.warn({ err: error, eventId: envelope.id, attempt, transient }, 'event handler failed')
            },
          },
        )
      } finally {
        resume?.()
      }
      if (outcome.status === 'handled') {
        metrics.consumed(topic.name, group)
        catchUp.handled(partition, message.offset)
        return
      }
      if (outcome.status === 'abandoned') {
        // Closing mid-retry: not consumed, so not committed; the next consumer of the partition gets it.
        throw new BusClosedError()
      }
      await deadLetter(topic, group, envelope.key, {
        topic: topic.name,
        group,
        attempts: outcome.attempts,
        error: describeError(outcome.error),
        eventId: envelope.id,
        event: envelope,
        source,
      })
      catchUp.handled(partition, message.offset)
    }

    async function start(): Promise<void> {
      const created = kafka.consumer({
        groupId: group,
        sessionTimeout: consumerOptions.sessionTimeout,
        heartbeatInterval: consumerOptions.heartbeatInterval,
        rebalanceTimeout: consumerOptions.rebalanceTimeout,
        maxWaitTimeInMs: consumerOptions.maxWaitTimeInMs,
        allowAutoTopicCreation: false,
        retry: {
          retries: 5,
          initialRetryTime: 300,
          maxRetryTime: 3_000,
          restartOnFailure: async (error) => {
            log.warn({ err: error }, 'consumer failed; restarting')
            return !closed
          },
        },
      })
      consumer = created
      let onJoin: () => void = () => {}
      const joined = new Promise<void>((resolve) => {
        onJoin = resolve
      })
      created.on(created.events.GROUP_JOIN, () => onJoin())
      created.on(created.events.CRASH, (event) => {
        // kafkajs restarts after retriable crashes itself; after any other, start a new consumer.
        if (event.payload.restart || closed) return
        log.error({ err: event.payload.error }, 'consumer stopped; starting a new one')
        scheduleRestart()
      })
      try {
        await created.connect()
        await created.subscribe({ topics: [topic.name], fromBeginning: consumerOptions.fromBeginning })
        await created.run({
          partitionsConsumedConcurrently: consumerOptions.partitionsConsumedConcurrently,
          eachMessage: handleMessage,
        })
      } catch (error) {
        await created.disconnect().catch(() => {})
        throw error
      }
      const stopWaiting = new AbortController()
      const timer = sleep(consumerOptions.joinTimeoutMs, 'timeout' as const, { signal: stopWaiting.signal })
      const first = await Promise.race([joined, timer.catch(() => undefined)])
      stopWaiting.abort()
      if (first === 'timeout') {
        log.warn({ joinTimeoutMs: consumerOptions.joinTimeoutMs }, 'consumer has not joined its group yet')
      }
    }

    function scheduleRestart(): void {
      clearTimeout(restartTimer)
      restartTimer = setTimeout(async () => {
        await consumer?.disconnect().catch(() => {})
        if (closed) return
        await start().catch((error: unknown) => {
          log.error({ err: error }, 'consumer restart failed; trying again')
          scheduleRestart()
        })
      }, 1_000)
    }

    await start()
    return {
      caughtUp: catchUp.done,
      async close() {
        if (closed) return
        closed = true
        clearTimeout(restartTimer)
        // kafkajs waits for the running eachMessage (handler, retries, dead letter) before it leaves.
        await consumer
          ?.disconnect()
          .catch((error: unknown) => log.warn({ err: error }, 'consumer disconnect failed'))
      },
    }
  }

  // A previous run's leftovers go out first.
  startReplay()

  const bus: EventBus = {
    async publish<S extends TSchema>(topic: Topic<S>, key: string, data: Static<S>) {
      if (closing) throw new BusClosedError()
      return (await publishEvent(topic, key, data)) as EventEnvelope<Static<S>>
    },

    async subscribe<S extends TSchema>(topic: Topic<S>, group: string, handler: EventHandler<S>) {
      if (closing) throw new BusClosedError()
      await Promise.all([
        ensureTopic(topic.name, topic.compacted === true),
        ensureTopic(dlqTopic(topic).name),
      ])
      const subscription = await startSubscription(
        topic,
        group,
        handler as (event: EventEnvelope) => Promise<void>,
      )
      subscriptions.add(subscription)
      const handle: Subscription = {
        caughtUp: subscription.caughtUp,
        async close() {
          subscriptions.delete(subscription)
          await subscription.close()
        },
      }
      return handle
    },

    async ready() {
      if (closing) return false
      try {
        const client = await getAdmin()
        await withTimeout(client.describeCluster(), sendTimeoutMs, 'describe cluster')
        return true
      } catch (error) {
        if (isTransient(error)) discardAdmin()
        return false
      }
    },

    async close() {
      if (closing) return
      closing = true
      // Consumers first: a handler that gives up still publishes its dead letter.
      await Promise.allSettled([...subscriptions].map((s) => s.close()))
      subscriptions.clear()
      while (pumping) await pumping
      if (outbox && outbox.pending() > 0) {
        const deadline = Date.now() + closeTimeoutMs
        startReplay()
        wakeReplay?.()
        while (outbox.pending() > 0 && Date.now() < deadline) await sleep(50)
      }
      stopReplay = true
      wakeReplay?.()
      await replaying
      if (outbox) {
        const left = outbox.pending()
        if (left > 0)
          logger.warn({ pending: left }, 'closing with events in the outbox; the next start replays them')
        await outbox.close()
      }
      await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())])
    },
  }
  return bus
}

/** Runs `attempt` again while it fails with an error KafkaJS marks retriable, up to about 30 s. */
async function whileRetriable<T>(attempt: () => Promise<T>): Promise<T> {
  for (let delayMs = 100, waitedMs = 0; ; waitedMs += delayMs, delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      return await attempt()
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || waitedMs >= 30_000) throw error
      await sleep(delayMs)
    }
  }
}
