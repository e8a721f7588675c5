import { type IHeaders, Kafka, type KafkaConfig, logLevel, Partitioners } from 'kafkajs'
import type { Logger } from 'pino'
import { kafkaLogCreator } from './kafka-client.ts'
import { HEADER_EVENT_ID, HEADER_EVENT_TIME, HEADER_EVENT_TYPE, HEADER_PRODUCER } from './kafka-codec.ts'

export interface ReplayDlqOptions {
  brokers: string[]
  logger: Logger
  ssl?: KafkaConfig['ssl']
  sasl?: KafkaConfig['sasl']
  /** The topic whose dead letters go back (`llm.usage.v1`, or its `.dlq`); default: every `*.dlq`. */
  topic?: string
  /** Most letters to put back in this run; default: all there are now. */
  limit?: number
  /** The consumer group that remembers how far replays got; one run at a time per group. */
  group?: string
  /** ms to wait for the dead letters to arrive before giving up (default 30 s). */
  timeoutMs?: number
}

export interface ReplayDlqReport {
  /** Letters put back on their topic, per dead-letter topic. */
  replayed: Record<string, number>
  /** Letters left for a later run (the limit was reached). */
  remaining: number
}

/** The group that remembers how far `switchyard events replay-dlq` has got in each DLQ. */
export const replayGroup = 'switchyard.dlq-replay'

interface Position {
  topic: string
  partition: number
  /** The next offset to read. */
  next: bigint
  /** The end of the partition when the run started: later letters (a replay failing again) wait. */
  end: bigint
}

/**
 * Puts dead letters back on the topic they came from, each as the event it carried (same id, key,
 * type and time, so a consumer's deduplication still holds), then commits the DLQ offset in
 * `group`: a letter is replayed once, and a second run starts where the first stopped. Reads only
 * what was in the DLQ when the run started, so an event that fails again waits for the next run.
 */
export async function replayDeadLetters(options: ReplayDlqOptions): Promise<ReplayDlqReport> {
  const logger = options.logger.child({ component: 'dlq-replay' })
  const group = options.group ?? replayGroup
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  const kafka = new Kafka({
    clientId: 'switchyard-dlq-replay',
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  })
  const admin = kafka.admin()
  await admin.connect()
  const positions: Position[] = []
  try {
    const all = await admin.listTopics()
    const wanted = options.topic
      ? [options.topic.endsWith('.dlq') ? options.topic : `${options.topic}.dlq`]
      : all.filter((t) => t.endsWith('.dlq'))
    for (const topic of wanted.filter((t) => all.includes(t))) {
      const [bounds, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ])
      for (const { partition, low, high } of bounds) {
        const done = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1'
        const next = BigInt(done) >= 0n ? BigInt(done) : BigInt(low)
        if (next < BigInt(high)) positions.push({ topic, partition, next, end: BigInt(high) })
      }
    }
  } finally {
    await admin.disconnect()
  }
  const replayed: Record<string, number> = {}
  const pending = () => positions.reduce((sum, p) => sum + Number(p.end - p.next), 0)
  if (positions.length === 0) return { replayed, remaining: 0 }

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // The bus's partitioner: a replayed event lands on its key's partition, in order with the rest.
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false })
  await Promise.all([producer.connect(), consumer.connect()])
  let count = 0
  let finish: () => void = () => {}
  let fail: (error: unknown) => void = () => {}
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  const isDone = () => count >= limit || positions.every((p) => p.next >= p.end)
  try {
    await consumer.subscribe({ topics: [...new Set(positions.map((p) => p.topic))], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const position = positions.find((p) => p.topic === topic && p.partition === partition)
        const offset = BigInt(message.offset)
        if (!position || offset >= position.end || offset < position.next || isDone()) return
        try {
          // A DLQ message is an event like any other: its data is the DeadLetter.
          const { data: letter = {} } = JSON.parse(message.value?.toString('utf8') ?? '') as {
            data?: { topic?: unknown; event?: unknown }
          }
          if (typeof letter.topic !== 'string')
            throw new Error(`dead letter at ${topic}/${partition}@${offset} names no topic`)
          await producer.send({
            topic: letter.topic,
            acks: -1,
            messages: [asMessage(letter.event, message.key)],
          })
          await consumer.commitOffsets([{ topic, partition, offset: (offset + 1n).toString() }])
        } catch (error) {
          fail(error)
          return
        }
        position.next = offset + 1n
        count++
        replayed[topic] = (replayed[topic] ?? 0) + 1
        if (isDone()) finish()
      },
    })
    const timeoutMs = options.timeoutMs ?? 30_000
    const timer = setTimeout(
      () => fail(new Error(`dead letters did not arrive within ${timeoutMs} ms (${pending()} left)`)),
      timeoutMs,
    )
    try {
      await finished
    } finally {
      clearTimeout(timer)
    }
  } finally {
    await consumer.disconnect().catch(() => {})
    await producer.disconnect().catch(() => {})
  }
  logger.info({ replayed, remaining: pending() }, 'dead letters put back on their topics')
  return { replayed, remaining: pending() }
}

/** The Kafka message an event envelope was: its key, its JSON, the headers a publish gives it. */
function asMessage(
  event: unknown,
  dlqKey: Buffer | null,
): { key: string | null; value: string; headers: IHeaders } {
  if (typeof event === 'string') return { key: dlqKey?.toString() ?? null, value: event, headers: {} }
  const envelope = (event ?? {}) as { id?: unknown; type?: unknown; time?: unknown; key?: unknown }
  const headers: IHeaders = { 'content-type': 'application/json', [HEADER_PRODUCER]: 'switchyard-dlq-replay' }
  if (typeof envelope.id === 'string') headers[HEADER_EVENT_ID] = envelope.id
  if (typeof envelope.type === 'string') headers[HEADER_EVENT_TYPE] = envelope.type
  if (typeof envelope.time === 'string') headers[HEADER_EVENT_TIME] = envelope.time
  const key = typeof envelope.key === 'string' ? envelope.key : (dlqKey?.toString() ?? null)
  return { key, value: JSON.stringify(event), headers }
}
