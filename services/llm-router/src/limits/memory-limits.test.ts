import { createMemoryState } from '@switchyard/kit'
import { limitsContract } from './limits.contract.ts'

// The one-process shape: every "replica" is the same in-memory store.
limitsContract('memory', async () => {
  const state = createMemoryState()
  return { open: () => state }
})
