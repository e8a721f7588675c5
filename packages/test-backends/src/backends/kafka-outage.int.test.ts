import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { startKafka, stopKafka, waitForKafka } from '../infra-kafka.ts'

const { kafkaBrokers, source } = getInfra()

// stopKafka/startKafka drive whichever broker the setup provided; a message written before the
// outage must still be there after it (the broker keeps its log on disk).
test(`the broker stops, refuses clients, and comes back with its data (${source})`, async () => {
  const kafka = new Kafka({ clientId: 'testing-outage', brokers: kafkaBrokers, logLevel: logLevel.NOTHING })
  const topic = `test.outage.${randomUUID()}`
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ key: 'k', value: 'before the outage' }] })
  await producer.disconnect()

  await stopKafka()
  try {
    await expect(waitForKafka(kafkaBrokers, 3_000)).rejects.toThrow(/did not answer/)
  } finally {
    await startKafka()
  }

  const consumer = kafka.consumer({ groupId: `test-outage-${randomUUID()}` })
  const received = new Promise<string>((resolve) => {
    void consumer.connect().then(async () => {
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) })
    })
  })
  try {
    expect(await received).toBe('before the outage')
  } finally {
    await consumer.disconnect()
  }
})
