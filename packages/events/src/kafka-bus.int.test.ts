import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { defineTopic } from '@switchyard/contracts'
import { getInfra, restartKafka } from '@switchyard/test-backends'
import { Kafka, logLevel } from 'kafkajs'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Type } from 'typebox'
import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { eventBusContract } from './event-bus.contract.ts'
import { type DeadLetter, dlqTopic, type EventBus, type EventEnvelope } from './event-bus.ts'
import { createKafkaBus, type KafkaBusOptions } from './kafka-bus.ts'
import { openOutbox } from './outbox.ts'

const logger = pino({ level: process.env.EVENTS_TEST_LOG_LEVEL ?? 'silent' })
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
let counter = 0
const fresh = (label: string) => `int.${label}.${run}.${++counter}`

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'events-int-'))
  dirs.push(dir)
  return dir
}

// Quick group joins and rebalances: consumer-group timing dominates these tests.
function busOptions(overrides: Partial<KafkaBusOptions> = {}): KafkaBusOptions {
  return {
    brokers: getInfra().kafkaBrokers,
    clientId: 'events-int',
    logger,
    retry: { attempts: 3, backoffMs: 50, maxBackoffMs: 200 },
    consumer: {
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      rebalanceTimeout: 3_000,
      maxWaitTimeInMs: 250,
      joinTimeoutMs: 20_000,
    },
    ...overrides,
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
  return Date.now() - started
}

async function openBus(overrides: Partial<KafkaBusOptions> = {}): Promise<EventBus> {
  const bus = await createKafkaBus(busOptions(overrides))
  onTestFinished(() => bus.close())
  return bus
}

eventBusContract('kafka', {
  createBus: async () => createKafkaBus(busOptions({ outboxDir: await tempDir() })),
  handlerAttempts: 3,
  timeoutMs: 30_000,
})

const Reading = Type.Object({ n: Type.Integer() })

describe('Kafka bus', () => {
  test('is ready when the broker answers', async () => {
    const bus = await openBus()
    expect(await bus.ready()).toBe(true)
  })

  test('events carry id, type and trace headers, and the handler runs in the restored context', async () => {
    const topic = defineTopic(`${fresh('headers')}.v1`, Reading)
    const contexts: string[] = []
    let current = 'none'
    const bus = await openBus({
      traceContext: {
        inject: () => ({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
        run: async (headers, fn) => {
          current = headers.traceparent ?? 'missing'
          return fn()
        },
      },
    })
    const sub = await bus.subscribe(topic, fresh('group'), async () => {
      contexts.push(current)
    })
    onTestFinished(() => sub.close())
    const event = await bus.publish(topic, 'k', { n: 1 })
    await waitFor('the event', () => contexts.length > 0, 30_000)
    expect(contexts).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'])

    // Any Kafka tool sees the envelope's id and type without parsing the value.
    const kafka = new Kafka({ clientId: 'raw', brokers: getInfra().kafkaBrokers, logLevel: logLevel.NOTHING })
    const raw = kafka.consumer({
      groupId: fresh('raw'),
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      rebalanceTimeout: 3_000,
      maxWaitTimeInMs: 250,
    })
    await raw.connect()
    onTestFinished(() => raw.disconnect())
    await raw.subscribe({ topics: [topic.name], fromBeginning: true })
    const headers: Record<string, string> = {}
    let key = ''
    await raw.run({
      eachMessage: async ({ message }) => {
        key = message.key?.toString() ?? ''
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value)
      },
    })
    await waitFor('the raw message', () => key !== '', 30_000)
    expect(key).toBe('k')
    expect(headers).toMatchObject({
      'event-id': event.id,
      'event-type': topic.name,
      'content-type': 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    })
  })

  test('an event that fails its schema on consume goes to the DLQ and consumption moves on', async () => {
    const topic = defineTopic(`${fresh('consume-invalid')}.v1`, Reading)
    const bus = await openBus()
    const handled: EventEnvelope<{ n: number }>[] = []
    const letters: EventEnvelope<DeadLetter>[] = []
    const dlqSub = await bus.subscribe(dlqTopic(topic), fresh('dlq-reader'), async (letter) => {
      letters.push(letter)
    })
    onTestFinished(() => dlqSub.close())
    const sub = await bus.subscribe(topic, fresh('group'), async (event) => {
      handled.push(event)
    })
    onTestFinished(() => sub.close())

    // Another producer, one that skips validation, writes what the bus would have refused.
    const raw = new Kafka({
      clientId: 'raw',
      brokers: getInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).producer()
    await raw.connect()
    onTestFinished(() => raw.disconnect())
    const wrongData = {
      id: 'bad-data-id',
      type: topic.name,
      time: new Date().toISOString(),
      key: 'k',
      data: { n: 'x' },
    }
    await raw.send({
      topic: topic.name,
      messages: [
        { key: 'k', value: 'not json at all' },
        { key: 'k', value: JSON.stringify(wrongData) },
      ],
    })
    const good = await bus.publish(topic, 'k', { n: 1 })

    await waitFor('the valid event', () => handled.length > 0, 30_000)
    await waitFor('two dead letters', () => letters.length >= 2, 30_000)
    expect(handled.map((e) => e.id)).toEqual([good.id])
    const [notJson, badData] = letters.map((l) => l.data)
    expect(notJson).toMatchObject({ attempts: 0, eventId: null, event: 'not json at all' })
    expect(notJson?.error.name).toBe('EventValidationError')
    expect(badData).toMatchObject({ attempts: 0, eventId: 'bad-data-id', event: wrongData })
    expect(badData?.error.message).toMatch(/\/n/)
    expect(badData?.source?.partition).toEqual(expect.any(Number))
  })

  test('an outbox left by a crashed producer is replayed when the next bus starts', async () => {
    const topic = defineTopic(`${fresh('crash')}.v1`, Reading)
    const outboxDir = await tempDir()
    const fixture = fileURLToPath(new URL('./fixtures/crashing-producer.ts', import.meta.url))
    const child = spawn(process.execPath, [fixture, outboxDir, topic.name, '25'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, sig) => resolve(sig)),
    )
    expect(signal, stderr).toBe('SIGKILL')
    const acknowledged: string[] = JSON.parse(stdout)
    expect(acknowledged).toHaveLength(25)
    const lines = (await readFile(join(outboxDir, 'outbox.jsonl'), 'utf8')).trim().split('\n')
    expect(lines).toHaveLength(25)

    const received = new Set<string>()
    const bus = await openBus({ outboxDir })
    const sub = await bus.subscribe(topic, fresh('group'), async (event) => {
      received.add(event.id)
    })
    onTestFinished(() => sub.close())
    const took = await waitFor(
      'the crashed producer’s events',
      () => acknowledged.every((id) => received.has(id)),
      30_000,
    )
    console.info(`crash replay: ${acknowledged.length} events delivered ${took} ms after subscribe`)
    // Everything acked: nothing is left for the next start.
    await bus.close()
    const box = await openOutbox(outboxDir, logger)
    expect(box.pending()).toBe(0)
    await box.close()
  })

  test('publishing through a broker restart: every acknowledged event reaches the consumer group', async () => {
    const total = 300
    const topic = defineTopic(`${fresh('restart')}.v1`, Reading)
    const registry = new Registry()
    const bus = await openBus({ outboxDir: await tempDir(), registry })
    const received = new Map<string, number>()
    const firstSeen: EventEnvelope<{ n: number }>[] = []
    const sub = await bus.subscribe(topic, fresh('group'), async (event) => {
      const count = received.get(event.id) ?? 0
      received.set(event.id, count + 1)
      if (count === 0) firstSeen.push(event)
    })
    onTestFinished(() => sub.close())

    // Three phases: before the restart, while the broker is down or starting (publishes land in
    // the outbox), and after it is back (new publishes queue behind the outbox as it drains).
    const acknowledged: string[] = []
    const failures: unknown[] = []
    const phase = { before: 0, during: 0, after: 0 }
    let restart: Promise<void> | undefined
    let restarted = false
    const started = Date.now()
    for (let n = 0; n < total; n++) {
      if (n === 60)
        restart = restartKafka().then(() => {
          restarted = true
        })
      if (n === total - 60) await restart
      try {
        const event = await bus.publish(topic, `key-${n % 10}`, { n })
        acknowledged.push(event.id)
        phase[!restart ? 'before' : restarted ? 'after' : 'during'] += 1
      } catch (error) {
        failures.push(error)
      }
      await sleep(restart && !restarted ? 100 : 10)
    }
    const publishMs = Date.now() - started

    const converged = await waitFor(
      'every acknowledged event at the consumer',
      () => acknowledged.every((id) => received.has(id)),
      90_000,
    )
    const metrics = await registry.metrics()
    const buffered = /events_buffered_total\{topic="[^"]+"\} (\d+)/.exec(metrics)?.[1] ?? '0'
    const duplicates = [...received.values()].reduce((sum, count) => sum + count - 1, 0)
    console.info(
      `broker restart: ${acknowledged.length}/${total} acknowledged (${buffered} via the outbox; ` +
        `${phase.before} before, ${phase.during} during, ${phase.after} after the restart) in ${publishMs} ms; ` +
        `all delivered ${converged} ms after the last publish; ` +
        `${duplicates} duplicate deliveries`,
    )
    expect(failures).toEqual([])
    expect(acknowledged).toHaveLength(total)
    expect(Number(buffered)).toBeGreaterThan(0)
    // Per key, events first arrive in publish order, outage or not.
    const byKey = new Map<string, number[]>()
    for (const event of firstSeen) byKey.set(event.key, [...(byKey.get(event.key) ?? []), event.data.n])
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
  }, 180_000)
})
