import { expect, test } from 'vitest'
import { runHandler } from './handler-retry.ts'
import { isTransientFailure } from './transient-failure.ts'

const policy = { attempts: 3, backoffMs: 1, maxBackoffMs: 2 }

/** A handler that fails `failures` times with `error`, then succeeds. */
function failing(failures: number, error: () => unknown) {
  let calls = 0
  return {
    calls: () => calls,
    handle: async () => {
      calls++
      if (calls <= failures) throw error()
    },
  }
}

const connectionLost = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })

test('a transient failure spends no attempt: it is retried until the handler succeeds', async () => {
  // More failures than the policy's attempts: before, the event went to the DLQ after 3.
  const failures = policy.attempts * 4
  const handler = failing(failures, connectionLost)
  const outcome = await runHandler(handler.handle, { policy, onError() {}, isTransient: isTransientFailure })
  expect(outcome).toEqual({ status: 'handled', attempts: failures + 1 })
  expect(handler.calls()).toBe(failures + 1)
})

test('any other failure still gives up after the policy attempts', async () => {
  const handler = failing(Number.POSITIVE_INFINITY, () => new Error('violates check constraint'))
  const outcome = await runHandler(handler.handle, { policy, onError() {}, isTransient: isTransientFailure })
  expect(outcome.status).toBe('failed')
  expect(handler.calls()).toBe(policy.attempts)
})

test('a transient retry stops when the subscription closes, without consuming the event', async () => {
  let open = true
  const handler = failing(Number.POSITIVE_INFINITY, connectionLost)
  const outcome = await runHandler(handler.handle, {
    policy,
    isTransient: isTransientFailure,
    canRetry: () => open,
    onError(_error, attempt) {
      if (attempt === 5) open = false
    },
  })
  expect(outcome.status).toBe('abandoned')
  expect(handler.calls()).toBe(5)
})

test.each([
  [
    'a refused connection',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  ],
  ['a serialization failure', Object.assign(new Error('could not serialize access'), { code: '40001' })],
  [
    'a statement timeout',
    Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
  ],
  ['a connection exception class 08', Object.assign(new Error('connection failure'), { code: '08006' })],
  ['a lost connection (no code)', new Error('Connection terminated unexpectedly')],
  ['a pool timeout', new Error('timeout exceeded when trying to connect')],
  ['a wrapped cause', new Error('ledger insert failed', { cause: { code: 'ECONNRESET' } })],
])('%s is transient', (_name, error) => {
  expect(isTransientFailure(error)).toBe(true)
})

test.each([
  ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
  ['a plain error', new Error('cannot read properties of undefined')],
  ['not an error', 'boom'],
])('%s is not transient', (_name, error) => {
  expect(isTransientFailure(error)).toBe(false)
})
