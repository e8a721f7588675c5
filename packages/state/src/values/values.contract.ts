import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { openClients, type StateFixture } from '../state-fixture.ts'

/**
 * What every ExpiringValues must do. Lifetimes are real time (a real Redis cannot be given fake
 * timers), so they are short and the waits leave a wide margin.
 */
export function valuesContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`ExpiringValues contract: ${name}`, () => {
    const one = async () => (await openClients(createFixture, 1))[0].values

    test('get answers null for a missing key and the value after set', async () => {
      const values = await one()
      expect(await values.get('greeting')).toBeNull()
      await values.set('greeting', 'hello')
      expect(await values.get('greeting')).toBe('hello')
      await values.set('greeting', 'hi')
      expect(await values.get('greeting')).toBe('hi')
    })

    test('del removes a key', async () => {
      const values = await one()
      await values.set('k', 'v')
      await values.del('k')
      expect(await values.get('k')).toBeNull()
      await values.del('never-set')
    })

    test('set with a ttl expires the value', async () => {
      const values = await one()
      await values.set('short', 'v', 60)
      await values.set('long', 'v', 60_000)
      expect(await values.get('short')).toBe('v')
      await sleep(150)
      expect(await values.get('short')).toBeNull()
      expect(await values.get('long')).toBe('v')
    })

    test('increment counts from zero, accepts negative steps and answers the new value', async () => {
      const values = await one()
      expect(await values.increment('n', 5)).toBe(5)
      expect(await values.increment('n', -2)).toBe(3)
      expect(await values.get('n')).toBe('3')
    })

    test('increment applies its ttl only when it creates the counter', async () => {
      const values = await one()
      await values.increment('c', 1, 100)
      // A later ttl must not extend the lifetime the first call gave.
      await values.increment('c', 1, 60_000)
      expect(await values.get('c')).toBe('2')
      await sleep(200)
      expect(await values.get('c')).toBeNull()
    })

    test('increment rejects a key holding a non-integer and a non-integer step', async () => {
      const values = await one()
      await values.set('text', 'abc')
      await expect(values.increment('text', 1)).rejects.toThrow()
      await expect(values.increment('n', 1.5)).rejects.toThrow(RangeError)
      expect(await values.get('text')).toBe('abc')
      // Only an integer as it is printed counts: these spellings of numbers do not.
      for (const spelling of ['007', '-0', '+7', ' 7', '7.0', '1e3', '']) {
        await values.set('spelled', spelling)
        await expect(values.increment('spelled', 1), JSON.stringify(spelling)).rejects.toThrow()
      }
      await values.set('spelled', '-7')
      expect(await values.increment('spelled', 1)).toBe(-6)
    })

    test('concurrent increments from two clients lose no update', async () => {
      const [a, b] = await openClients(createFixture, 2)
      if (b === undefined) throw new Error('fixture opened fewer than two clients')
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).values.increment('tokens', 7)),
      )
      expect(await a.values.get('tokens')).toBe(String(100 * 7))
      expect(await b.values.get('tokens')).toBe(String(100 * 7))
    })
  })
}
