import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { openClients, type StateFixture } from '../state-fixture.ts'

/** What every FixedWindows must do. Windows are real time, short, with wide margins. */
export function fixedWindowsContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`FixedWindows contract: ${name}`, () => {
    const one = async () => (await openClients(createFixture, 1))[0].fixedWindows

    test('hit admits exactly limit hits per window and reports what remains', async () => {
      const windows = await one()
      const limit = 3
      const results = []
      for (let i = 0; i <= limit; i++) results.push(await windows.hit('ip:1', limit, 60_000))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      for (const r of results) {
        expect(r.resetMs).toBeGreaterThan(55_000)
        expect(r.resetMs).toBeLessThanOrEqual(60_000)
      }
      // Another key has its own window.
      expect((await windows.hit('ip:2', limit, 60_000)).remaining).toBe(limit - 1)
    })

    test('hit opens a new window once the old one has passed', async () => {
      const windows = await one()
      expect((await windows.hit('burst', 1, 100)).allowed).toBe(true)
      expect((await windows.hit('burst', 1, 100)).allowed).toBe(false)
      await sleep(200)
      const fresh = await windows.hit('burst', 1, 100)
      expect(fresh).toMatchObject({ allowed: true, remaining: 0 })
      expect(fresh.resetMs).toBeGreaterThan(0)
    })

    test('concurrent hits from two clients never admit more than the limit', async () => {
      const [a, b] = await openClients(createFixture, 2)
      if (b === undefined) throw new Error('fixture opened fewer than two clients')
      const limit = 25
      const attempts = Array.from({ length: 120 }, (_, i) =>
        (i % 2 === 0 ? a : b).fixedWindows.hit('shared', limit, 60_000),
      )
      const results = await Promise.all(attempts)
      expect(results.filter((r) => r.allowed)).toHaveLength(limit)
      // Every client reads the one count: the remaining values handed out are all distinct.
      const remaining = results.filter((r) => r.allowed).map((r) => r.remaining)
      expect(new Set(remaining).size).toBe(limit)
    })
  })
}
