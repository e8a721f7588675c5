// `switchyard events replay-dlq` on a real Kafka: dead letters go back on their topic as the events
// they were (same ids), a limit leaves the rest for the next run, and a run replays nothing twice.
import { randomUUID } from 'node:crypto'
import { defineTopic } from '@switchyard/contracts'
import { getInfra } from '@switchyard/test-backends'
import pino from 'pino'
import { Type } from 'typebox'
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest'
import { replayDeadLetters } from './dlq-replay.ts'
import { dlqTopic, type EventBus } from './event-bus.ts'
import { createKafkaBus } from './kafka-bus.ts'

const logger = pino({ level: 'silent' })
const Reading = Type.Object({ n: Type.Integer() })
let bus: EventBus

beforeAll(async () => {
  bus = await createKafkaBus({
    brokers: getInfra().kafkaBrokers,
    clientId: 'dlq-replay-int',
    logger,
    retry: { attempts: 2, backoffMs: 20, maxBackoffMs: 50 },
    consumer: {
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      rebalanceTimeout: 3_000,
      maxWaitTimeInMs: 250,
    },
  })
}, 60_000)
afterAll(() => bus?.close())

test('dead letters go back to their topic with their ids; --limit leaves the rest for the next run', async () => {
  const topic = defineTopic(`int.dlq-replay.${randomUUID()}`, Reading)
  const group = `dlq-replay-int.${randomUUID()}`
  const replayGroup = `switchyard.dlq-replay.${randomUUID()}`
  // The handler has a bug for a while: every event it sees then is dead-lettered.
  let broken = true
  const handled = new Map<string, number>()
  const subscription = await bus.subscribe(topic, group, async (event) => {
    if (broken) throw new Error('handler bug')
    handled.set(event.id, event.data.n)
  })
  onTestFinished(() => subscription.close())
  const letters: string[] = []
  const dlq = await bus.subscribe(dlqTopic(topic), `dlq-watch.${randomUUID()}`, async (letter) => {
    letters.push(letter.data.eventId ?? '')
  })
  onTestFinished(() => dlq.close())

  const published = []
  for (let n = 1; n <= 3; n++) published.push(await bus.publish(topic, `key-${n % 2}`, { n }))
  await vi.waitFor(() => expect(letters).toHaveLength(3), { timeout: 60_000, interval: 100 })
  expect(handled.size).toBe(0)

  broken = false
  const first = await replayDeadLetters({
    brokers: getInfra().kafkaBrokers,
    logger,
    topic: topic.name,
    limit: 2,
    group: replayGroup,
  })
  expect(first).toEqual({ replayed: { [dlqTopic(topic).name]: 2 }, remaining: 1 })
  await vi.waitFor(() => expect(handled.size).toBe(2), { timeout: 60_000, interval: 100 })

  const second = await replayDeadLetters({
    brokers: getInfra().kafkaBrokers,
    logger,
    topic: topic.name,
    group: replayGroup,
  })
  expect(second).toEqual({ replayed: { [dlqTopic(topic).name]: 1 }, remaining: 0 })
  await vi.waitFor(() => expect(handled.size).toBe(3), { timeout: 60_000, interval: 100 })
  // The same events, not copies: ids and payloads as published.
  expect([...handled.entries()].sort()).toEqual(published.map((e) => [e.id, e.data.n]).sort())

  const third = await replayDeadLetters({
    brokers: getInfra().kafkaBrokers,
    logger,
    topic: topic.name,
    group: replayGroup,
  })
  expect(third).toEqual({ replayed: {}, remaining: 0 })
})
