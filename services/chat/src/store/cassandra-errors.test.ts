import { toErrorResponse } from '@switchyard/kit'
import { errors, types } from 'cassandra-driver'
import { expect, test } from 'vitest'
import { storeErrorOf } from './cassandra-errors.ts'

// The driver's own error classes, as it raises them when a one-node cluster holds a keyspace of
// replication factor 3: the coordinator's Unavailable, or that error wrapped once the retry policy
// tried the next host and found none.
const unavailable = new errors.ResponseError(
  types.responseErrorCodes.unavailableException,
  'Not enough replicas available for query at consistency LOCAL_QUORUM (2 required but only 1 alive)',
)

test.each([
  ['Unavailable from the coordinator', unavailable],
  ['no host left after the retry', new errors.NoHostAvailableError({ '127.0.0.1:9042': unavailable })],
])('%s is a 503 with a stable code, in the OpenAI error shape', (_what, error) => {
  const mapped = storeErrorOf(error)
  expect(mapped).toMatchObject({ statusCode: 503, code: 'CHAT_ERR_STORE_UNAVAILABLE', cause: error })
  const response = toErrorResponse(mapped, 1_048_576)
  expect(response.statusCode).toBe(503)
  expect(response.body.error).toMatchObject({ type: 'server_error', code: 'CHAT_ERR_STORE_UNAVAILABLE' })
  // The driver's text names hosts and counts: it stays in the log.
  expect(response.body.error.message).not.toContain('LOCAL_QUORUM')
})

test('other driver errors pass through unchanged (a 500)', () => {
  const invalid = new errors.ResponseError(types.responseErrorCodes.invalid, 'unconfigured table x')
  expect(storeErrorOf(invalid)).toBe(invalid)
  const timeout = new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'write timeout')
  expect(storeErrorOf(timeout)).toBe(timeout)
  expect(toErrorResponse(storeErrorOf(invalid), 1_048_576).statusCode).toBe(500)
})
