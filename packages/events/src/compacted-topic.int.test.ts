// Compacted topics on a real Kafka: admin.config.v1 (and any topic defined `compacted`) is created
// with cleanup.policy=compact, and one created earlier without it is switched over.
import { randomUUID } from 'node:crypto'
import { adminConfigV1, defineTopic } from '@switchyard/contracts'
import { getInfra } from '@switchyard/test-backends'
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs'
import pino from 'pino'
import { Type } from 'typebox'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { EventBus } from './event-bus.ts'
import { createKafkaBus } from './kafka-bus.ts'

const logger = pino({ level: 'silent' })
const kafka = new Kafka({
  clientId: 'compacted-int',
  brokers: getInfra().kafkaBrokers,
  logLevel: logLevel.NOTHING,
})
const admin = kafka.admin()
let bus: EventBus

beforeAll(async () => {
  await admin.connect()
  bus = await createKafkaBus({
    brokers: getInfra().kafkaBrokers,
    clientId: `compacted-${randomUUID()}`,
    logger,
  })
}, 60_000)
afterAll(async () => {
  await bus?.close()
  await admin.disconnect()
})

const cleanupPolicy = async (topic: string) => {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  })
  return resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue
}

test('admin.config.v1 is a compacted topic once a bus has used it', async () => {
  expect(adminConfigV1.compacted).toBe(true)
  await bus.publish(adminConfigV1, `key-revoked:org_compacted:${randomUUID()}`, {
    kind: 'key-revoked',
    orgId: 'org_compacted',
    version: 1,
    payload: { keyId: 'key_compacted' },
  })
  expect(await cleanupPolicy(adminConfigV1.name)).toBe('compact')
})

test('a compacted topic is created compacted; one that existed with delete is switched over', async () => {
  const Reading = Type.Object({ n: Type.Integer() })
  const fresh = defineTopic(`int.compacted.${randomUUID()}`, Reading, { compacted: true })
  await bus.publish(fresh, 'k', { n: 1 })
  expect(await cleanupPolicy(fresh.name)).toBe('compact')

  const older = defineTopic(`int.compacted.${randomUUID()}`, Reading, { compacted: true })
  await admin.createTopics({ topics: [{ topic: older.name, numPartitions: 1 }], waitForLeaders: true })
  expect(await cleanupPolicy(older.name)).toBe('delete')
  const subscription = await bus.subscribe(older, `compacted-int.${randomUUID()}`, async () => {})
  await subscription.close()
  expect(await cleanupPolicy(older.name)).toBe('compact')

  const plain = defineTopic(`int.plain.${randomUUID()}`, Reading)
  await bus.publish(plain, 'k', { n: 1 })
  expect(await cleanupPolicy(plain.name)).toBe('delete')
})
