import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { SharedState } from './shared-state.ts'

/** One empty store, seen through as many clients as a test opens (replicas of one deployment). */
export interface SharedStateFixture {
  open(): Promise<SharedState> | SharedState
  /** Removes what the test left behind; called after the clients are closed. */
  cleanup?(): Promise<void>
}

/**
 * The behaviour every SharedState implementation must have. `createFixture` is called once per
 * test and must return an empty store. TTLs are real time (a real Redis cannot be given fake
 * timers), so they are short and the waits leave a wide margin.
 */
export function sharedStateContract(name: string, createFixture: () => Promise<SharedStateFixture>): void {
  describe(`SharedState contract: ${name}`, () => {
    async function openStore(clients = 1): Promise<SharedState[]> {
      const fixture = await createFixture()
      const states: SharedState[] = []
      for (let i = 0; i < clients; i++) states.push(await fixture.open())
      onTestFinished(async () => {
        for (const state of states) await state.close()
        await fixture.cleanup?.()
      })
      return states
    }
    async function one(): Promise<SharedState> {
      const [state] = await openStore(1)
      if (state === undefined) throw new Error('fixture opened no client')
      return state
    }

    test('get answers null for a missing key and the value after set', async () => {
      const state = await one()
      expect(await state.get('greeting')).toBeNull()
      await state.set('greeting', 'hello')
      expect(await state.get('greeting')).toBe('hello')
      await state.set('greeting', 'hi')
      expect(await state.get('greeting')).toBe('hi')
    })

    test('del removes a key', async () => {
      const state = await one()
      await state.set('k', 'v')
      await state.del('k')
      expect(await state.get('k')).toBeNull()
      await state.del('never-set')
    })

    test('set with a ttl expires the value', async () => {
      const state = await one()
      await state.set('short', 'v', 60)
      await state.set('long', 'v', 60_000)
      expect(await state.get('short')).toBe('v')
      await sleep(150)
      expect(await state.get('short')).toBeNull()
      expect(await state.get('long')).toBe('v')
    })

    test('incrBy counts from zero, accepts negative steps and returns the new value', async () => {
      const state = await one()
      expect(await state.incrBy('n', 5)).toBe(5)
      expect(await state.incrBy('n', -2)).toBe(3)
      expect(await state.get('n')).toBe('3')
    })

    test('incrBy applies its ttl only when it creates the key', async () => {
      const state = await one()
      await state.incrBy('c', 1, 100)
      // A later ttl must not extend the window the first call opened.
      await state.incrBy('c', 1, 60_000)
      expect(await state.get('c')).toBe('2')
      await sleep(200)
      expect(await state.get('c')).toBeNull()
    })

    test('incrBy rejects a key holding a non-integer and a non-integer step', async () => {
      const state = await one()
      await state.set('text', 'abc')
      await expect(state.incrBy('text', 1)).rejects.toThrow()
      await expect(state.incrBy('n', 1.5)).rejects.toThrow(RangeError)
      expect(await state.get('text')).toBe('abc')
    })

    test('hit admits exactly limit hits per window and reports what remains', async () => {
      const state = await one()
      const results = []
      for (let i = 0; i < 4; i++) results.push(await state.hit('ip:1', 3, 60_000))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      for (const r of results) {
        expect(r.resetMs).toBeGreaterThan(55_000)
        expect(r.resetMs).toBeLessThanOrEqual(60_000)
      }
      // Another key has its own window.
      expect((await state.hit('ip:2', 3, 60_000)).remaining).toBe(2)
    })

    test('hit opens a new window once the old one has passed', async () => {
      const state = await one()
      expect((await state.hit('burst', 1, 100)).allowed).toBe(true)
      expect((await state.hit('burst', 1, 100)).allowed).toBe(false)
      await sleep(200)
      const fresh = await state.hit('burst', 1, 100)
      expect(fresh).toMatchObject({ allowed: true, remaining: 0 })
      expect(fresh.resetMs).toBeGreaterThan(0)
    })

    test('concurrent hits from two clients never admit more than the limit', async () => {
      const [a, b] = await openStore(2)
      if (a === undefined || b === undefined) throw new Error('fixture opened fewer than two clients')
      const limit = 25
      const attempts = Array.from({ length: 120 }, (_, i) =>
        (i % 2 === 0 ? a : b).hit('shared', limit, 60_000),
      )
      const results = await Promise.all(attempts)
      expect(results.filter((r) => r.allowed)).toHaveLength(limit)
      // Every client reads the one count: the remaining values handed out are all distinct.
      const remaining = results.filter((r) => r.allowed).map((r) => r.remaining)
      expect(new Set(remaining).size).toBe(limit)
    })

    test('concurrent incrBy from two clients loses no update', async () => {
      const [a, b] = await openStore(2)
      if (a === undefined || b === undefined) throw new Error('fixture opened fewer than two clients')
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).incrBy('tokens', 7)))
      expect(await a.get('tokens')).toBe('700')
      expect(await b.get('tokens')).toBe('700')
    })

    test('ping answers true while open and false once closed', async () => {
      const fixture = await createFixture()
      const state = await fixture.open()
      onTestFinished(async () => {
        await fixture.cleanup?.()
      })
      expect(await state.ping()).toBe(true)
      await state.close()
      expect(await state.ping()).toBe(false)
    })
  })
}
