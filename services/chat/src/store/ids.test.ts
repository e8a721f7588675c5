import { expect, test } from 'vitest'
import { bucketOf, createTimeIdGenerator, isTimeId, ticksOf, timeOf } from './ids.ts'

const at = Date.parse('2026-03-01T12:00:00Z')

test('a time id is a version-1 UUID that gives back the millisecond it was made at', () => {
  const id = createTimeIdGenerator()(at)
  expect(isTimeId(id)).toBe(true)
  expect(timeOf(id)).toBe(at)
  expect(bucketOf(id, 60_000)).toBe(Math.floor(at / 60_000))
  // RFC 9562: the Unix epoch is 0x01B21DD213814000 100-ns intervals after the UUID epoch.
  expect(ticksOf(createTimeIdGenerator()(0))).toBe(0x01b21dd213814000n)
})

test('ids of one generator strictly increase inside a millisecond, past its last tick, and when the clock steps back', () => {
  const next = createTimeIdGenerator()
  const times = [at, ...Array.from({ length: 10_001 }, () => at), at - 5_000, at + 1]
  const ticks = times.map((time) => ticksOf(next(time)))
  for (let i = 1; i < ticks.length; i++) expect(ticks[i] as bigint).toBeGreaterThan(ticks[i - 1] as bigint)
})
