import { redisStateFixture } from '@switchyard/state/fixtures'
import { getInfra } from '@switchyard/testing'
import { limitsContract } from './limits.contract.ts'

const { redisUrl } = await getInfra()

// The same contract on a real Redis: each open() is a separate connection, as two router replicas
// would have.
limitsContract('redis', async () => redisStateFixture(redisUrl))
