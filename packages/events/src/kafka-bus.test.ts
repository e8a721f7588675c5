import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineTopic } from '@switchyard/contracts'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { EventValidationError } from './event-bus.ts'
import { createKafkaBus } from './kafka-bus.ts'
import { openOutbox } from './outbox.ts'

// Unit tests: no broker. A port nothing listens on stands for "Kafka is down".
const logger = pino({ level: 'silent' })
const Order = defineTopic('test.orders.v1', Type.Object({ n: Type.Integer() }))

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kafka-bus-test-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('with Kafka down, publish falls to the outbox within two seconds and close leaves it there', async () => {
  const dir = await tempDir()
  const registry = new Registry()
  const bus = await createKafkaBus({
    brokers: [`127.0.0.1:${await closedPort()}`],
    clientId: 'unit',
    logger,
    outboxDir: dir,
    closeTimeoutMs: 300,
    registry,
  })
  expect(await bus.ready()).toBe(false)

  const started = Date.now()
  const first = await bus.publish(Order, 'a', { n: 1 })
  expect(Date.now() - started).toBeLessThan(2_500)
  // The outage is known now: the next publishes go straight to the outbox.
  const startedRest = Date.now()
  const rest = await Promise.all([2, 3, 4].map((n) => bus.publish(Order, 'a', { n })))
  expect(Date.now() - startedRest).toBeLessThan(500)
  await bus.close()

  const lines = (await readFile(join(dir, 'outbox.jsonl'), 'utf8')).trim().split('\n')
  const records = lines.map((line) => JSON.parse(line))
  expect(records.map((r) => JSON.parse(r.value).id)).toEqual([first, ...rest].map((e) => e.id))
  expect(records[0]).toMatchObject({
    topic: 'test.orders.v1',
    key: 'a',
    headers: { 'event-id': first.id, 'event-type': 'test.orders.v1', 'content-type': 'application/json' },
  })
  expect(JSON.parse(records[0].value)).toEqual(first)
  const metrics = await registry.metrics()
  expect(metrics).toContain('events_buffered_total{topic="test.orders.v1"} 4')

  // What close left behind is still there for the next start.
  const reopened = await openOutbox(dir, logger)
  expect(reopened.pending()).toBe(4)
  await reopened.close()
})

test('without an outbox, a publish while Kafka is down rejects', async () => {
  const bus = await createKafkaBus({ brokers: [`127.0.0.1:${await closedPort()}`], clientId: 'unit', logger })
  const started = Date.now()
  await expect(bus.publish(Order, 'a', { n: 1 })).rejects.toThrow()
  expect(Date.now() - started).toBeLessThan(2_500)
  await bus.close()
})

test('an invalid or oversized event is rejected at publish, even during an outage', async () => {
  const dir = await tempDir()
  const bus = await createKafkaBus({
    brokers: [`127.0.0.1:${await closedPort()}`],
    clientId: 'unit',
    logger,
    outboxDir: dir,
    maxEventBytes: 200,
    closeTimeoutMs: 100,
  })
  await expect(bus.publish(Order, 'a', { n: 1.5 })).rejects.toBeInstanceOf(EventValidationError)
  const Blob = defineTopic('test.blob.v1', Type.Object({ text: Type.String() }))
  await expect(bus.publish(Blob, 'a', { text: 'x'.repeat(500) })).rejects.toThrow(/limit is 200/)
  await bus.close()
  const reopened = await openOutbox(dir, logger)
  expect(reopened.pending()).toBe(0)
  await reopened.close()
})
