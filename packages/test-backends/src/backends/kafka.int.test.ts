import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { kafkaVersion } from '../infra-versions.ts'

const { kafkaBrokers } = getInfra()
const kafka = new Kafka({ clientId: 'testing-backends', brokers: kafkaBrokers, logLevel: logLevel.NOTHING })
const topic = `test.backends.${randomUUID()}`
const admin = kafka.admin()

beforeAll(async () => {
  console.log(`kafka: ${await kafkaVersion(kafkaBrokers)}`)
  await admin.connect()
})

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {})
  await admin.disconnect()
})

test('a consumer group receives every message produced to a fresh topic, in order per key', async () => {
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
  const produced = Array.from({ length: 20 }, (_, i) => ({
    key: `conversation-${i % 3}`,
    value: `message-${i}`,
  }))
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: produced })
  await producer.disconnect()

  const groupId = `test-backends-${randomUUID()}`
  const consumer = kafka.consumer({ groupId })
  const received: { key: string; value: string }[] = []
  let allReceived: () => void = () => {}
  const all = new Promise<void>((resolve) => {
    allReceived = resolve
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: String(message.key), value: String(message.value) })
        if (received.length === produced.length) allReceived()
      },
    })
    await all
  } finally {
    await consumer.disconnect()
  }

  expect(received.map((m) => m.value).sort()).toEqual(produced.map((m) => m.value).sort())
  for (const key of new Set(produced.map((m) => m.key))) {
    const inOrder = (list: typeof produced) => list.filter((m) => m.key === key).map((m) => m.value)
    expect(inOrder(received)).toEqual(inOrder(produced))
  }
  // The group committed its offsets: the broker knows where it stopped.
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
  const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0)
  expect(committed).toBe(produced.length)
})
