import { memoryStateFixture } from '@switchyard/state/fixtures'
import { limitsContract } from './limits.contract.ts'

// The one-process shape: every "replica" is the same in-memory store.
limitsContract('memory', async () => memoryStateFixture())
