import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, onTestFinished, test } from 'vitest'
import { openClients, type StateFixture } from '../state-fixture.ts'
import { logStart } from './event-logs.ts'

/** What every EventLogs must do. Lifetimes and waits are real time, short, with wide margins. */
export function eventLogsContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`EventLogs contract: ${name}`, () => {
    const one = async () => (await openClients(createFixture, 1))[0].eventLogs
    const two = async () => {
      const [a, b] = await openClients(createFixture, 2)
      if (b === undefined) throw new Error('fixture opened fewer than two clients')
      return [a.eventLogs, b.eventLogs] as const
    }
    const kept = { maxLen: 100, ttlMs: 60_000 }

    test('a log hands out distinct ids and reads back exactly what follows an id', async () => {
      const logs = await one()
      const ids: string[] = []
      for (const data of ['a', 'b', 'c', 'd']) ids.push(await logs.append('log', data, kept))
      expect(new Set(ids).size).toBe(ids.length)
      expect(await logs.read('log', logStart)).toEqual(
        ['a', 'b', 'c', 'd'].map((data, i) => ({ id: ids[i], data })),
      )
      expect((await logs.read('log', ids[1] as string)).map((e) => e.data)).toEqual(['c', 'd'])
      expect(await logs.read('log', ids[3] as string)).toEqual([])
      expect((await logs.read('log', logStart, 3)).map((e) => e.data)).toEqual(['a', 'b', 'c'])
      expect(await logs.read('missing', logStart)).toEqual([])
      await expect(logs.read('log', 'not-an-id')).rejects.toThrow(RangeError)
    })

    test('a log keeps its newest maxLen entries and expires as a whole after its ttl', async () => {
      const logs = await one()
      for (let i = 1; i <= 5; i++) await logs.append('trimmed', String(i), { maxLen: 3, ttlMs: 60_000 })
      expect((await logs.read('trimmed', logStart)).map((e) => e.data)).toEqual(['3', '4', '5'])
      await logs.append('brief', 'x', { maxLen: 10, ttlMs: 80 })
      expect(await logs.read('brief', logStart)).toHaveLength(1)
      await sleep(200)
      expect(await logs.read('brief', logStart)).toEqual([])
    })

    test('each append renews the log ttl', async () => {
      const logs = await one()
      await logs.append('renewed', '1', { maxLen: 10, ttlMs: 150 })
      await sleep(100)
      await logs.append('renewed', '2', { maxLen: 10, ttlMs: 150 })
      await sleep(100)
      // 200 ms after the first append, 100 after the second: alive because the second renewed it.
      expect((await logs.read('renewed', logStart)).map((e) => e.data)).toEqual(['1', '2'])
    })

    test('a blocking read answers at once when entries follow, else when another client appends', async () => {
      const [reader, writer] = await two()
      const first = await writer.append('live', 'one', kept)
      expect((await reader.readBlocking('live', logStart, 5_000)).map((e) => e.data)).toEqual(['one'])

      const started = Date.now()
      const waiting = reader.readBlocking('live', first, 5_000)
      await sleep(100)
      const second = await writer.append('live', 'two', kept)
      expect(await waiting).toEqual([{ id: second, data: 'two' }])
      expect(Date.now() - started).toBeLessThan(4_000)
    })

    test('many blocking reads on different logs and positions each get exactly their own entries', async () => {
      const [reader, writer] = await two()
      const keys = Array.from({ length: 12 }, (_, i) => `many:${i}`)
      const firsts = await Promise.all(keys.map((key) => writer.append(key, `${key}/1`, kept)))
      // Two readers per log: one from the start (answered at once), one after the first entry (waits).
      const fromStart = keys.map((key) => reader.readBlocking(key, logStart, 5_000))
      const waiting = keys.map((key, i) => reader.readBlocking(key, firsts[i] as string, 5_000))
      await sleep(100)
      // Appended in reverse order, each to its own log.
      for (const key of [...keys].reverse()) await writer.append(key, `${key}/2`, kept)
      expect((await Promise.all(fromStart)).map((entries) => entries[0]?.data)).toEqual(
        keys.map((k) => `${k}/1`),
      )
      expect((await Promise.all(waiting)).map((entries) => entries.map((e) => e.data))).toEqual(
        keys.map((k) => [`${k}/2`]),
      )
    })

    test('a blocking read with nothing to read answers [] after its timeout', async () => {
      const logs = await one()
      const timeoutMs = 300
      const started = Date.now()
      expect(await logs.readBlocking('quiet', logStart, timeoutMs)).toEqual([])
      const waited = Date.now() - started
      expect(waited).toBeGreaterThanOrEqual(timeoutMs - 50)
      expect(waited).toBeLessThan(3_000)
    })

    test('a blocking read in flight answers [] when its state closes', async () => {
      const fixture = await createFixture()
      const state = await fixture.open()
      onTestFinished(async () => {
        await fixture.cleanup?.()
      })
      const started = Date.now()
      const waiting = state.eventLogs.readBlocking('never', logStart, 10_000)
      await sleep(100)
      await state.close()
      expect(await waiting).toEqual([])
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  })
}
