import { expect, test } from 'vitest'
import { buildCatalog } from '../../catalog/load.ts'
import { UpstreamError } from '../provider.ts'
import { providers } from '../registry.ts'
import { ollamaConnection } from './connection.ts'

test('what fails before the request is sent (the body cannot be written) is not made an upstream failure', async () => {
  const catalog = buildCatalog(
    {
      models: {
        m: { deployments: [{ id: 'o', provider: 'ollama', baseUrl: 'http://127.0.0.1:9', model: 'm' }] },
      },
    },
    { providers },
  )
  const connection = ollamaConnection(catalog.deployments.get('o') as never)
  try {
    const call = connection.client(new AbortController().signal)
    const ownError = new RangeError('Maximum call stack size exceeded')
    const thrown = await call
      .guard(async () => {
        throw ownError
      })
      .catch((e: unknown) => e)
    expect(thrown).toBe(ownError)
    expect(thrown).not.toBeInstanceOf(UpstreamError)
    // Once the request went out, a failure is the upstream's: here, nothing listens on port 9.
    const refused = await call.guard((ollama) => ollama.list()).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UpstreamError)
  } finally {
    await connection.close()
  }
})
