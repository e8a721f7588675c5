import { onTestFinished } from 'vitest'
import type { SharedState } from './shared-state.ts'

/** One empty store, seen through as many clients as a test opens (replicas of one deployment). */
export interface StateFixture {
  open(): Promise<SharedState> | SharedState
  /** Removes what the test left behind; called after the clients are closed. */
  cleanup?(): Promise<void>
}

/** Opens `clients` clients on a fresh fixture, closed (and cleaned up) when the test finishes. */
export async function openClients(
  createFixture: () => Promise<StateFixture>,
  clients: number,
): Promise<[SharedState, ...SharedState[]]> {
  const fixture = await createFixture()
  const states: SharedState[] = []
  for (let i = 0; i < clients; i++) states.push(await fixture.open())
  onTestFinished(async () => {
    for (const state of states) await state.close()
    await fixture.cleanup?.()
  })
  const [first, ...rest] = states
  if (first === undefined) throw new Error('fixture opened no client')
  return [first, ...rest]
}
