import { performance } from 'node:perf_hooks'
import { pino } from 'pino'
import { expect, test } from 'vitest'
import { Reporter } from './reporter.ts'

const busy = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

test('a batch yields to the event loop between slices, so waiting work runs between its tasks', async () => {
  const order: string[] = []
  const reporter = new Reporter(pino({ level: 'silent' }), { delayMs: 60_000, sliceMs: 0.5 })
  for (let i = 0; i < 4; i++)
    reporter.add(async () => {
      busy(1)
      order.push(`task ${i}`)
    })
  // Already waiting when the batch starts: a request that arrived meanwhile.
  setImmediate(() => order.push('arrived'))
  await reporter.flush()
  expect(order).toHaveLength(5)
  // Each task outlasts a slice: the newcomer runs after the first, not after all four.
  expect(order.indexOf('arrived')).toBe(1)
})

test('a task that throws or rejects is logged and the rest of the batch still runs', async () => {
  const errors: string[] = []
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => errors.push(JSON.parse(line).err.message) },
  )
  const reporter = new Reporter(logger, { delayMs: 60_000 })
  const ran: number[] = []
  reporter.add(() => {
    throw new Error('sync')
  })
  reporter.add(() => Promise.reject(new Error('async')))
  reporter.add(async () => {
    ran.push(3)
  })
  await reporter.flush()
  expect(ran).toEqual([3])
  expect(errors.sort()).toEqual(['async', 'sync'])
})
