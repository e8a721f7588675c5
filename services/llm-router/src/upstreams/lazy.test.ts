import type { ChatCompletionRequest } from '@switchyard/contracts'
import { pino } from 'pino'
import { expect, test } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import type { Deployment } from '../catalog/schema.ts'
import { lazyProvider } from './lazy.ts'
import type { Provider } from './provider.ts'
import { providers } from './registry.ts'

const deployment = { id: 'd', model: 'm' } as Deployment
const context = { logger: pino({ level: 'silent' }) }
const request = { model: 'x', messages: [{ role: 'user', content: 'hi' }] } as ChatCompletionRequest

test('the module loads on the first call, once, and a client never used closes without loading it', async () => {
  let loads = 0
  const created: string[] = []
  const inner: Provider = {
    name: 'inner',
    needsBaseUrl: false,
    createClient(d) {
      created.push(d.id)
      return {
        chat: async () => ({ body: '{"ok":true}', usage: () => null, completionText: () => '' }),
        close: async () => {},
      }
    },
  }
  const lazy = lazyProvider('inner', false, async () => {
    loads++
    return inner
  })
  const unused = lazy.createClient(deployment, context)
  await unused.close()
  const client = lazy.createClient(deployment, context)
  expect(loads).toBe(0)
  const call = { alias: 'x', signal: new AbortController().signal }
  const [a, b] = await Promise.all([client.chat?.(request, call), client.chat?.(request, call)])
  expect(a?.body).toBe('{"ok":true}')
  expect(b?.body).toBe('{"ok":true}')
  expect(loads).toBe(1)
  expect(created).toEqual(['d'])
  await expect(client.embeddings?.({ model: 'x', input: 'y' }, call)).rejects.toThrow(
    'provider inner has no embeddings',
  )
})

test('the registry offers local without a base URL, and a catalog naming it loads without importing it', () => {
  expect(providers.local.needsBaseUrl).toBe(false)
  const catalog = buildCatalog(
    { models: { tiny: { deployments: [{ id: 'gguf', provider: 'local', model: 'tiny.gguf' }] } } },
    { providers },
  )
  expect(catalog.deployments.get('gguf')).toMatchObject({ provider: 'local', baseUrl: '' })
})
