import { createMemoryState } from '@switchyard/state'
import { limitsContract } from './limits.contract.ts'

// The one-process shape: every "replica" is the same in-memory store.
limitsContract('memory', async () => {
  const state = createMemoryState()
  return { open: () => state }
})
