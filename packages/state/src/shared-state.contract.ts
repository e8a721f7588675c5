import { expect, onTestFinished, test } from 'vitest'
import { eventLogsContract } from './event-logs/event-logs.contract.ts'
import { fixedWindowsContract } from './fixed-windows/fixed-windows.contract.ts'
import { limitsStoreContract } from './limits/limits-store.contract.ts'
import type { StateFixture } from './state-fixture.ts'
import { valuesContract } from './values/values.contract.ts'

/**
 * Every port's contract on one implementation of the SharedState. `createFixture` is called once
 * per test and must return an empty store.
 */
export function sharedStateContract(name: string, createFixture: () => Promise<StateFixture>): void {
  valuesContract(name, createFixture)
  fixedWindowsContract(name, createFixture)
  eventLogsContract(name, createFixture)
  limitsStoreContract(name, createFixture)

  test(`SharedState ${name}: ping answers true while open and false once closed`, async () => {
    const fixture = await createFixture()
    const state = await fixture.open()
    onTestFinished(async () => {
      await fixture.cleanup?.()
    })
    expect(await state.ping()).toBe(true)
    await state.close()
    expect(await state.ping()).toBe(false)
  })
}
