import { describe } from 'vitest'
import { tenancySuite } from './tenancy.contract.ts'
import { startRag } from './test-support.ts'

describe('tenancy, one process (PGlite)', () => {
  tenancySuite(() => startRag())
})
