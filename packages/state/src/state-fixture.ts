import { onTestFinished } from 'vitest'
import type { StateFixture } from './fixtures.ts'
import type { SharedState } from './shared-state.ts'

export type { StateFixture }

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
