import { type logCreator, logLevel } from 'kafkajs'
import type { Logger } from 'pino'

// Errors that mean "Kafka is not reachable right now" rather than "Kafka refuses this event".
const TRANSIENT = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
])

// The idempotent producer's sequence state went wrong (typically after a send whose outcome was
// unknown). A fresh producer (new producer id) fixes it, so these count as transient.
const PRODUCER_STATE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
])

const TIMED_OUT = Symbol('kafka-bus.timed-out')

/**
 * True when `error` (or anything in its cause chain) says the broker is unreachable, slow or in
 * a transient state: the event should wait in the outbox, not be rejected.
 */
export function isTransient(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; current && depth < 10; depth++) {
    const e = current as {
      name?: unknown
      retriable?: unknown
      type?: unknown
      cause?: unknown
      errors?: unknown
    }
    if ((e as Record<symbol, unknown>)[TIMED_OUT]) return true
    if (typeof e.name === 'string') {
      if (TRANSIENT.has(e.name)) return true
      if (e.name.startsWith('KafkaJS') && e.retriable === true) return true
    }
    if (typeof e.type === 'string' && PRODUCER_STATE.has(e.type)) return true
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isTransient)) return true
    current = e.cause
  }
  return false
}

/** True when `error` says a topic or its partition leaders are not (yet) known to the broker. */
export function isLeaderPending(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; current && depth < 10; depth++) {
    const e = current as { type?: unknown; cause?: unknown }
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE') return true
    current = e.cause
  }
  return false
}

/** Rejects with a transient error when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        Object.assign(new Error(`${what} timed out after ${ms} ms`), {
          name: 'KafkaBusTimeout',
          [TIMED_OUT]: true,
        }),
      )
    }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
    // The loser may still reject later; nobody waits for it.
    promise.catch(() => {})
  }
}

/**
 * Routes kafkajs logs into pino. kafkajs logs every connection failure as an error; during an
 * outage the bus reports the outage itself, so kafkajs errors are demoted to warnings.
 */
export function kafkaLogCreator(parent: Logger): logCreator {
  const logger = parent.child({ component: 'kafkajs' })
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log
      // Expected: the bus limits producer retries on purpose and replaces the producer after a
      // failed send (new producer id), so a stale sequence cannot reorder or drop events.
      if (message.startsWith('Limiting retries for the idempotent producer')) return
      const fields = { ...extra, namespace }
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, message)
      else if (level === logLevel.INFO) logger.debug(fields, message)
      else logger.trace(fields, message)
    }
}
