import { expect, test } from 'vitest'
import { LeasePool } from './lease-pool.ts'

const never = new AbortController().signal

test('items are lent one at a time and waiters are served first come first served', async () => {
  const pool = new LeasePool(['s'])
  const first = await pool.acquire(never)
  const order: string[] = []
  const second = pool.acquire(never).then((item) => order.push(`second:${item}`))
  const third = pool.acquire(never).then((item) => order.push(`third:${item}`))
  expect(pool.waiting).toBe(2)
  pool.release(first)
  await second
  pool.release('s')
  await third
  expect(order).toEqual(['second:s', 'third:s'])
  expect(pool.lent).toBe(1)
})

test('a waiter whose signal aborts leaves the line with the reason', async () => {
  const pool = new LeasePool([1])
  await pool.acquire(never)
  const controller = new AbortController()
  const waiting = pool.acquire(controller.signal)
  controller.abort(new Error('client left'))
  await expect(waiting).rejects.toThrow('client left')
  expect(pool.waiting).toBe(0)
  await expect(pool.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already')
})

test('close refuses waiters and newcomers and resolves when the last item is back', async () => {
  const pool = new LeasePool([1])
  const item = await pool.acquire(never)
  const waiting = pool.acquire(never)
  let closed = false
  const closing = pool.close().then(() => {
    closed = true
  })
  await expect(waiting).rejects.toThrow(/closed/)
  await expect(pool.acquire(never)).rejects.toThrow(/closed/)
  await new Promise((resolve) => setTimeout(resolve, 5))
  expect(closed).toBe(false)
  pool.release(item)
  await closing
  expect(closed).toBe(true)
})
