import { randomBytes } from 'node:crypto'
import type { Topic } from '@switchyard/contracts'
import type { TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import { type EventEnvelope, EventValidationError } from './event-bus.ts'

/**
 * A UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids sort by creation
 * time, which keeps deduplication tables and logs in a useful order.
 */
export function newEventId(now = Date.now()): string {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f)
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// One compiled validator per schema object: topics are module-level constants.
const validators = new WeakMap<TSchema, Validator>()

function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema)
  if (!validator) {
    validator = Compile(schema) as Validator
    validators.set(schema, validator)
  }
  return validator
}

/** Throws EventValidationError unless `data` matches the topic's schema. */
export function assertPayload(topic: Topic, data: unknown): void {
  const validator = validatorOf(topic.schema)
  if (validator.Check(data)) return
  const problems = validator.Errors(data).map((e) => `${e.instancePath || '/'} ${e.message}`)
  throw new EventValidationError(topic.name, problems.length > 0 ? problems : ['invalid value'])
}

/**
 * Validates and wraps a payload. The envelope goes through a JSON round trip before the check,
 * so every implementation validates and hands handlers exactly what Kafka would carry (no Dates,
 * no undefined, no NaN, no shared references).
 */
export function createEnvelope<T>(topic: Topic, key: string, data: T): EventEnvelope<T> {
  if (typeof key !== 'string' || key.length === 0) {
    throw new EventValidationError(topic.name, ['key must be a non-empty string'])
  }
  const envelope = JSON.parse(
    JSON.stringify({ id: newEventId(), type: topic.name, time: new Date().toISOString(), key, data }),
  ) as EventEnvelope<T>
  assertPayload(topic, envelope.data)
  return envelope
}

/** The parts of an envelope a consumer checks before its payload. */
export function isEnvelope(value: unknown): value is EventEnvelope {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.time === 'string' &&
    typeof v.key === 'string' &&
    'data' in v
  )
}

/** An error as it goes into a dead letter or a log line. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: 'Error', message: String(error) }
}
