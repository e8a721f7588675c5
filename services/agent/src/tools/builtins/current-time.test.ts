import { expect, test } from 'vitest'
import { ToolError } from '../tool.ts'
import { currentTimeTool } from './current-time.ts'
import { callContext } from './test-context.ts'

// 2026-07-01 12:34:56 UTC, a Wednesday in summer time in Europe.
const at = Date.UTC(2026, 6, 1, 12, 34, 56)
const tool = currentTimeTool(() => at)
const isoAt = new Date(at).toISOString()

test.each([
  [undefined, 'UTC', '2026-07-01T12:34:56+00:00'],
  ['Europe/Paris', 'Europe/Paris', '2026-07-01T14:34:56+02:00'],
  ['Asia/Kolkata', 'Asia/Kolkata', '2026-07-01T18:04:56+05:30'],
  ['America/New_York', 'America/New_York', '2026-07-01T08:34:56-04:00'],
])('in %s the clock reads its local time with the offset', async (timezone, name, local) => {
  const args = timezone === undefined ? {} : { timezone }
  expect(await tool.call(args, callContext())).toEqual({
    timezone: name,
    local,
    weekday: 'Wednesday',
    utc: isoAt,
  })
  // The local time and its offset name the same instant as the clock.
  expect(Date.parse(local)).toBe(Math.floor(at / 1000) * 1000)
})

test('an unknown time zone is a tool error naming it', async () => {
  const error = await tool.call({ timezone: 'Mars/Olympus' }, callContext()).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ToolError)
  expect((error as Error).message).toContain('Mars/Olympus')
})
