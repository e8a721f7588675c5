import { memoryStateFixture } from './fixtures.ts'
import { sharedStateContract } from './shared-state.contract.ts'

sharedStateContract('memory', async () => memoryStateFixture())
