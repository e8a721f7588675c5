import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineTopic } from '@switchyard/contracts'
import pino from 'pino'
import { Registry } from 'prom-client'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { eventBusContract } from './event-bus.contract.ts'
import { BusClosedError } from './event-bus.ts'
import { createInProcessBus } from './in-process-bus.ts'

const logger = pino({ level: 'silent' })

eventBusContract('in-process', {
  createBus: async () =>
    createInProcessBus({ logger, retry: { attempts: 3, backoffMs: 10, maxBackoffMs: 50 } }),
  handlerAttempts: 3,
  timeoutMs: 5_000,
})

const Ping = defineTopic('test.ping.v1', Type.Object({ n: Type.Integer() }))

test('publish resolves before any handler runs (never on the caller stack)', async () => {
  const bus = createInProcessBus({ logger })
  const calls: number[] = []
  await bus.subscribe(Ping, 'g', async (event) => {
    calls.push(event.data.n)
  })
  await bus.publish(Ping, 'k', { n: 1 })
  expect(calls).toEqual([])
  await bus.close()
  expect(calls).toEqual([1])
})

test('a group keeps its events while it has no subscription, and a new one gets them', async () => {
  const bus = createInProcessBus({ logger })
  const first = await bus.subscribe(Ping, 'g', async () => {})
  await first.close()
  await bus.publish(Ping, 'k', { n: 7 })
  const seen: number[] = []
  await bus.subscribe(Ping, 'g', async (event) => {
    seen.push(event.data.n)
  })
  await bus.close()
  expect(seen).toEqual([7])
})

test('an event in retry when its subscription closes goes to another subscription of the group', async () => {
  const bus = createInProcessBus({
    logger,
    retry: { attempts: 5, backoffMs: 50, maxBackoffMs: 50 },
    lanes: 1,
  })
  const failing = await bus.subscribe(Ping, 'g', async () => {
    throw new Error('down')
  })
  await bus.publish(Ping, 'k', { n: 3 })
  await sleep(20)
  const seen: number[] = []
  await bus.subscribe(Ping, 'g', async (event) => {
    seen.push(event.data.n)
  })
  await failing.close()
  await bus.close()
  expect(seen).toEqual([3])
})

test('a closed bus rejects publish and subscribe, and counts what it did', async () => {
  const registry = new Registry()
  const bus = createInProcessBus({ logger, registry })
  await bus.subscribe(Ping, 'g', async () => {})
  await bus.publish(Ping, 'k', { n: 1 })
  expect(await bus.ready()).toBe(true)
  await bus.close()
  expect(await bus.ready()).toBe(false)
  await expect(bus.publish(Ping, 'k', { n: 2 })).rejects.toBeInstanceOf(BusClosedError)
  await expect(bus.subscribe(Ping, 'g', async () => {})).rejects.toBeInstanceOf(BusClosedError)
  const text = await registry.metrics()
  expect(text).toContain('events_published_total{topic="test.ping.v1"} 1')
  expect(text).toContain('events_consumed_total{topic="test.ping.v1",group="g"} 1')
})

test('trace context injected at publish is restored around the handler', async () => {
  let current = 'publisher-span'
  const bus = createInProcessBus({
    logger,
    traceContext: {
      inject: () => ({ traceparent: current }),
      run: async (headers, fn) => {
        const saved = current
        current = `child-of-${headers.traceparent}`
        try {
          return await fn()
        } finally {
          current = saved
        }
      },
    },
  })
  const seen: string[] = []
  await bus.subscribe(Ping, 'g', async () => {
    seen.push(current)
  })
  await bus.publish(Ping, 'k', { n: 1 })
  current = 'something-else'
  await bus.close()
  expect(seen).toEqual(['child-of-publisher-span'])
})

test('a handler gets a copy: the publisher changing its object afterwards changes nothing delivered', async () => {
  const Tagged = defineTopic('test.tagged.v1', Type.Object({ tags: Type.Array(Type.String()) }))
  const bus = createInProcessBus({ logger })
  const seen: string[][] = []
  await bus.subscribe(Tagged, 'g', async (event) => {
    seen.push(event.data.tags)
  })
  const payload = { tags: ['a'] }
  await bus.publish(Tagged, 'k', payload)
  payload.tags.push('changed after publish')
  await bus.close()
  expect(seen).toEqual([['a']])
})

test("a compacted topic's latest event per key outlives the bus in its retained file", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'in-process-bus-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const retainedFile = join(dir, 'bus', 'retained.jsonl')
  const Setting = defineTopic('test.setting.v1', Type.Object({ n: Type.Integer() }), { compacted: true })
  const first = createInProcessBus({ logger, retainedFile })
  await first.publish(Setting, 'a', { n: 1 })
  await first.publish(Setting, 'b', { n: 2 })
  await first.publish(Setting, 'a', { n: 3 })
  await first.publish(Ping, 'a', { n: 4 })
  await first.close()

  // A restart: a new bus on the same file, and a group that did not exist before.
  const second = createInProcessBus({ logger, retainedFile })
  onTestFinished(() => second.close())
  const seen: [string, number][] = []
  const subscription = await second.subscribe(Setting, 'late', async (event) => {
    seen.push([event.key, event.data.n])
  })
  await subscription.caughtUp
  expect(seen.sort()).toEqual([
    ['a', 3],
    ['b', 2],
  ])
  const pings: number[] = []
  await (await second.subscribe(Ping, 'late', async (event) => void pings.push(event.data.n))).caughtUp
  // Only compacted topics are kept: a plain one published before the group existed is gone.
  expect(pings).toEqual([])
})

test('caughtUp waits for the events queued for the group when it subscribed', async () => {
  const bus = createInProcessBus({ logger, lanes: 1 })
  onTestFinished(() => bus.close())
  const first = await bus.subscribe(Ping, 'g', async () => {})
  await first.close()
  await bus.publish(Ping, 'k', { n: 1 })
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let started: () => void = () => {}
  const handling = new Promise<void>((resolve) => {
    started = resolve
  })
  const subscription = await bus.subscribe(Ping, 'g', () => {
    started()
    return held
  })
  let caughtUp = false
  void subscription.caughtUp.then(() => {
    caughtUp = true
  })
  await handling
  await Promise.resolve()
  expect(caughtUp).toBe(false)
  release()
  await subscription.caughtUp
  expect(caughtUp).toBe(true)
})
