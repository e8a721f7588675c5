import { setTimeout as sleep } from 'node:timers/promises'
import { defineTopic, type Topic } from '@switchyard/contracts'
import { type Static, Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import {
  type DeadLetter,
  dlqTopic,
  type EventBus,
  type EventEnvelope,
  EventValidationError,
  type Subscription,
} from './event-bus.ts'

/** What a bus implementation hands the contract suite. */
export interface EventBusContractOptions {
  /** Creates the bus under test; the suite closes it. */
  createBus(): Promise<EventBus>
  /** Handler attempts the bus makes before it dead-letters an event, as createBus configured it. */
  handlerAttempts: number
  /** Longest the suite waits for deliveries, in ms. */
  timeoutMs: number
}

const Sample = Type.Object({ seq: Type.Integer({ minimum: 0 }), note: Type.Optional(Type.String()) })
type Sample = Static<typeof Sample>
type SampleEvent = EventEnvelope<Sample>

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
let counter = 0

/** A topic (and group) name no earlier run or test used: no retained events, no offsets. */
function fresh(label: string): string {
  counter += 1
  return `contract.${label}.${run}.${counter}`
}

function freshTopic(label: string): Topic<typeof Sample> {
  return defineTopic(`${fresh(label)}.v1`, Sample)
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

/**
 * The EventBus delivery contract (see event-bus.ts), run against every implementation: the
 * in-process bus in a unit test, the Kafka bus against a real broker.
 */
export function eventBusContract(name: string, options: EventBusContractOptions): void {
  const { timeoutMs, handlerAttempts } = options

  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus

    beforeAll(async () => {
      bus = await options.createBus()
    })

    afterAll(async () => {
      await bus?.close()
    })

    async function subscribe(
      topic: Topic<typeof Sample>,
      group: string,
      handler: (e: SampleEvent) => Promise<void>,
    ) {
      const subscription: Subscription = await bus.subscribe(topic, group, handler)
      onTestFinished(() => subscription.close())
      return subscription
    }

    test('a published event reaches a subscriber with its envelope', async () => {
      const topic = freshTopic('roundtrip')
      const received: SampleEvent[] = []
      await subscribe(topic, fresh('group'), async (event) => {
        received.push(event)
      })
      const before = Date.now()
      const published = await bus.publish(topic, 'order-1', { seq: 1, note: 'hello' })

      expect(published).toMatchObject({ type: topic.name, key: 'order-1', data: { seq: 1, note: 'hello' } })
      expect(published.id).toMatch(UUID_V7)
      const time = Date.parse(published.time)
      expect(time).toBeGreaterThanOrEqual(before - 1_000)
      expect(time).toBeLessThanOrEqual(Date.now() + 1_000)
      await waitFor('the event', () => received.length > 0, timeoutMs)
      expect(received[0]).toEqual(published)
    })

    test('every consumer group receives every event', async () => {
      const topic = freshTopic('groups')
      const seenA = new Set<string>()
      const seenB = new Set<string>()
      await subscribe(topic, fresh('group-a'), async (event) => {
        seenA.add(event.id)
      })
      await subscribe(topic, fresh('group-b'), async (event) => {
        seenB.add(event.id)
      })
      const published = await Promise.all(
        Array.from({ length: 10 }, (_, seq) => bus.publish(topic, `key-${seq % 4}`, { seq })),
      )
      const ids = published.map((e) => e.id)
      await waitFor('both groups to see every event', () => seenA.size === 10 && seenB.size === 10, timeoutMs)
      expect([...seenA].sort()).toEqual([...ids].sort())
      expect([...seenB].sort()).toEqual([...ids].sort())
    })

    test('within a group each event is handled by one subscription', async () => {
      const topic = freshTopic('shared')
      const group = fresh('group')
      const first: string[] = []
      const second: string[] = []
      await subscribe(topic, group, async (event) => {
        first.push(event.id)
      })
      await subscribe(topic, group, async (event) => {
        second.push(event.id)
      })
      const published = await Promise.all(
        Array.from({ length: 40 }, (_, seq) => bus.publish(topic, `key-${seq % 20}`, { seq })),
      )
      const ids = published.map((e) => e.id)
      await waitFor('every event', () => new Set([...first, ...second]).size === ids.length, timeoutMs)
      // Let a stray second delivery arrive, if there is one.
      await sleep(300)
      expect([...first, ...second].sort()).toEqual([...ids].sort())
      expect(first.filter((id) => second.includes(id))).toEqual([])
    })

    test('events with one key are handled in publish order', async () => {
      const topic = freshTopic('order')
      const seen = new Map<string, number[]>()
      const handled = new Set<string>()
      await subscribe(topic, fresh('group'), async (event) => {
        // Uneven handler times: a bus that ran one key's events concurrently would reorder them.
        await sleep(event.data.seq % 3)
        if (handled.has(event.id)) return
        handled.add(event.id)
        const list = seen.get(event.key) ?? []
        list.push(event.data.seq)
        seen.set(event.key, list)
      })
      const keys = ['alpha', 'beta', 'gamma', 'delta']
      // Not awaited one by one: publish order is call order.
      await Promise.all(
        Array.from({ length: 60 }, (_, seq) => bus.publish(topic, keys[seq % 4] ?? 'alpha', { seq })),
      )
      await waitFor('all 60 events', () => handled.size === 60, timeoutMs)
      for (const [index, key] of keys.entries()) {
        const expected = Array.from({ length: 15 }, (_, i) => i * 4 + index)
        expect(seen.get(key)).toEqual(expected)
      }
    })

    test('a handler that fails once is retried and the event is not lost', async () => {
      const topic = freshTopic('retry')
      const attempts = new Map<string, number>()
      const handled = new Set<string>()
      await subscribe(topic, fresh('group'), async (event) => {
        const attempt = (attempts.get(event.id) ?? 0) + 1
        attempts.set(event.id, attempt)
        if (attempt === 1) throw new Error('transient failure')
        handled.add(event.id)
      })
      const published = await Promise.all([0, 1, 2].map((seq) => bus.publish(topic, 'same-key', { seq })))
      await waitFor('the retried events', () => handled.size === 3, timeoutMs)
      for (const event of published) expect(attempts.get(event.id)).toBe(2)
    })

    test('a handler that always fails sends the event to the DLQ and later events still flow', async () => {
      const topic = freshTopic('poison')
      const group = fresh('group')
      let poisonCalls = 0
      const handled: number[] = []
      const letters: EventEnvelope<DeadLetter>[] = []
      await bus
        .subscribe(dlqTopic(topic), fresh('dlq-reader'), async (letter) => {
          letters.push(letter)
        })
        .then((s) => onTestFinished(() => s.close()))
      await subscribe(topic, group, async (event) => {
        if (event.data.note === 'poison') {
          poisonCalls += 1
          throw new Error('poison pill')
        }
        handled.push(event.data.seq)
      })
      const poison = await bus.publish(topic, 'k', { seq: 0, note: 'poison' })
      for (const seq of [1, 2, 3]) await bus.publish(topic, 'k', { seq })

      await waitFor('the later events', () => handled.length >= 3, timeoutMs)
      await waitFor('the dead letter', () => letters.length > 0, timeoutMs)
      expect(handled.slice(0, 3)).toEqual([1, 2, 3])
      expect(poisonCalls).toBe(handlerAttempts)
      const letter = letters[0]
      expect(letter?.type).toBe(`${topic.name}.dlq`)
      expect(letter?.key).toBe('k')
      expect(letter?.data).toMatchObject({
        topic: topic.name,
        group,
        attempts: handlerAttempts,
        eventId: poison.id,
        error: { name: 'Error', message: 'poison pill' },
        event: poison,
      })
    })

    test('an invalid payload is rejected on publish and never delivered', async () => {
      const topic = freshTopic('invalid')
      const received: SampleEvent[] = []
      await subscribe(topic, fresh('group'), async (event) => {
        received.push(event)
      })
      const invalid = bus.publish(topic, 'k', { seq: -1 })
      await expect(invalid).rejects.toBeInstanceOf(EventValidationError)
      await expect(invalid).rejects.toThrow(/\/seq/)
      await expect(bus.publish(topic, 'k', { seq: 'one' } as unknown as Sample)).rejects.toBeInstanceOf(
        EventValidationError,
      )
      await expect(bus.publish(topic, '', { seq: 1 })).rejects.toBeInstanceOf(EventValidationError)
      const valid = await bus.publish(topic, 'k', { seq: 2 })
      // Same key, so an invalid event that got through would arrive first.
      await waitFor('the valid event', () => received.length > 0, timeoutMs)
      expect(received.map((e) => e.id)).toEqual([valid.id])
    })

    test("a group that subscribes to a compacted topic later is caught up on each key's latest", async () => {
      const topic = defineTopic(`${fresh('compacted')}.v1`, Sample, { compacted: true })
      const published = [
        ['a', 1],
        ['b', 2],
        ['a', 3],
      ] as const
      for (const [key, seq] of published) await bus.publish(topic, key, { seq })
      const latest = new Map<string, number>()
      const subscription = await subscribe(topic, fresh('late'), async (event) => {
        latest.set(event.key, event.data.seq)
      })
      await subscription.caughtUp
      // Kafka may not have compacted yet (the group then sees every event), but the last one per key
      // is what the group holds once caught up.
      expect(Object.fromEntries(latest)).toEqual(Object.fromEntries(published.map(([k, seq]) => [k, seq])))
    })

    test('a group on a topic with nothing for it is caught up at once', async () => {
      const subscription = await subscribe(freshTopic('empty'), fresh('group'), async () => {})
      await expect(subscription.caughtUp).resolves.toBeUndefined()
    })
  })
}
