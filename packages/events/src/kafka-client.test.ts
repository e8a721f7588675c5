import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs'
import { expect, test } from 'vitest'
import { isLeaderPending, isTransient, withTimeout } from './kafka-client.ts'

// kafkajs' own error classes, built as kafkajs builds them.
const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as Error)

test('an unreachable broker is transient (the event waits in the outbox)', () => {
  const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
  expect(isTransient(refused)).toBe(true)
  expect(isTransient(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 2, retryTime: 500 }))).toBe(
    true,
  )
  expect(isTransient(protocol('NOT_ENOUGH_REPLICAS', true))).toBe(true)
  expect(isTransient(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', false))).toBe(true)
})

test('a refusal of the event itself is not transient (the publish rejects)', () => {
  const tooLarge = protocol('MESSAGE_TOO_LARGE', false)
  expect(isTransient(tooLarge)).toBe(false)
  // As kafkajs' retrier wraps it (its typings omit the second argument).
  expect(isTransient(Object.assign(new KafkaJSNonRetriableError(tooLarge), { cause: tooLarge }))).toBe(false)
  expect(isTransient(new TypeError('bug'))).toBe(false)
})

test('a missing topic or leader right after creation is told apart', () => {
  const unknown = protocol('UNKNOWN_TOPIC_OR_PARTITION', true)
  expect(
    isLeaderPending(new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 2, retryTime: 100 })),
  ).toBe(true)
  expect(isLeaderPending(new KafkaJSConnectionError('down'))).toBe(false)
})

test('a call that outlives its timeout rejects with a transient error', async () => {
  const never = new Promise<never>(() => {})
  const error = await withTimeout(never, 20, 'send').catch((e: unknown) => e)
  expect(String(error)).toMatch(/send timed out after 20 ms/)
  expect(isTransient(error)).toBe(true)
  expect(await withTimeout(Promise.resolve(7), 1_000, 'fast')).toBe(7)
})
