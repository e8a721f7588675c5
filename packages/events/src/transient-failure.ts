// Which handler failures are worth waiting out: a database or broker that is briefly away, a
// timeout, a serialization conflict. Those are retried until they pass; anything else is a fault
// of the event or the handler and goes to the dead-letter topic after the retry policy's attempts.

import { isTransient as isKafkaTransient } from './kafka-client.ts'

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
])

// PostgreSQL SQLSTATEs that say "try again": the connection went away or the server is starting or
// stopping, a statement timed out, a lock or serialization conflict, out of connections.
const transientSqlStates = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03', '53300'])

// node-postgres reports a lost connection or a pool timeout without a code.
const transientMessages =
  /connection terminated|terminating connection|connection error|timeout exceeded when trying to connect|connection refused|socket hang up|query read timeout/i

/** True for a failure that a later attempt can get past without anything else changing. */
export function isTransientFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false
  const e = error as { code?: unknown; message?: unknown; transient?: unknown; cause?: unknown }
  if (e.transient === true || isKafkaTransient(error)) return true
  if (typeof e.code === 'string') {
    if (networkCodes.has(e.code) || transientSqlStates.has(e.code)) return true
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return true
  }
  if (typeof e.message === 'string' && transientMessages.test(e.message)) return true
  if (error instanceof AggregateError && error.errors.some((inner) => isTransientFailure(inner, depth + 1)))
    return true
  return e.cause !== undefined && isTransientFailure(e.cause, depth + 1)
}
