import { randomFillSync } from 'node:crypto'
import type { Topic } from '@switchyard/contracts'
import type { TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import { v7 as uuidv7 } from 'uuid'
import { type EventEnvelope, EventValidationError } from './event-bus.ts'

/**
 * Random bytes for event ids, drawn from OpenSSL a few kilobytes at a time: left to itself, uuid
 * asks WebCrypto for every id, which costs more than the rest of the id.
 */
const randomPool = Buffer.alloc(16 * 256)
let poolOffset = randomPool.length

/**
 * A UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids sort by creation
 * time, which keeps deduplication tables and logs in a useful order.
 */
export function newEventId(now = Date.now()): string {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool)
    poolOffset = 0
  }
  const random = randomPool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  return uuidv7({ msecs: now, random })
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
 * Whether a JSON round trip gives back an equal value: strings, finite numbers, booleans, null,
 * and arrays and plain objects of them, with no undefined inside.
 */
export function travelsAsIs(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (depth > 64) return false
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || !travelsAsIs(item, depth + 1)) return false
        return true
      }
      const prototype = Object.getPrototypeOf(value)
      if (prototype !== Object.prototype && prototype !== null) return false
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key]
        if (item === undefined || !travelsAsIs(item, depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/**
 * Validates and wraps a payload as Kafka would carry it: no Dates, no undefined, no NaN. Plain
 * JSON data (the usual case) is checked as it is; anything else goes through a JSON round trip
 * first, so a Date becomes its string and a NaN a null the schema refuses, on every bus alike.
 * The envelope's data may be the caller's object: a bus that hands it to handlers in this process
 * gives them a copy (see deliverable).
 */
export function createEnvelope<T>(topic: Topic, key: string, data: T): EventEnvelope<T> {
  if (typeof key !== 'string' || key.length === 0) {
    throw new EventValidationError(topic.name, ['key must be a non-empty string'])
  }
  const travelled = travelsAsIs(data) ? data : (JSON.parse(JSON.stringify(data) ?? 'null') as T)
  assertPayload(topic, travelled)
  return { id: newEventId(), type: topic.name, time: new Date().toISOString(), key, data: travelled }
}

/** A copy of an envelope that shares nothing with the publisher's objects. */
export function deliverable<T>(envelope: EventEnvelope<T>): EventEnvelope<T> {
  return JSON.parse(JSON.stringify(envelope)) as EventEnvelope<T>
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
