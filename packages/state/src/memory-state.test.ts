import { createMemoryState } from './memory-state.ts'
import { sharedStateContract } from './shared-state.contract.ts'

// The one-process shape: every client ("replica") is the same in-memory state.
sharedStateContract('memory', async () => {
  const state = createMemoryState()
  return { open: () => state }
})
