import { createMemoryState } from './memory-state.ts'
import { sharedStateContract } from './shared-state.contract.ts'

// Two "replicas" of the one-process shape share one store: the same object.
sharedStateContract('memory', async () => {
  const state = createMemoryState()
  return { open: () => state }
})
