import OpenAI from 'openai'
import { expect, test } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import { startRouter } from '../router-under-test.ts'
import { providers } from '../upstreams/registry.ts'

const deployment = (id: string) => ({ id, provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: id })

const catalog = {
  models: {
    'llama-3.1-8b': { deployments: [deployment('a')], fallbacks: ['llama-3.1-70b-long'] },
    'llama-3.1-70b-long': { deployments: [deployment('b')], listed: false },
    'bge-small': { deployments: [deployment('c')] },
  },
}

test('GET /v1/models lists the aliases callers may name, not the hidden ones nor upstream names', async () => {
  const router = await startRouter(catalog)
  const ids = []
  for await (const model of router.openai.models.list()) {
    expect(model).toMatchObject({ object: 'model', owned_by: 'switchyard' })
    ids.push(model.id)
  }
  expect(ids.sort()).toEqual(['bge-small', 'llama-3.1-8b'])
  expect((await router.openai.models.retrieve('bge-small')).id).toBe('bge-small')
  const hidden = await router.openai.models.retrieve('llama-3.1-70b-long').catch((e: unknown) => e)
  expect(hidden).toBeInstanceOf(OpenAI.NotFoundError)
})

test('applyCatalog swaps the aliases at runtime', async () => {
  const router = await startRouter(catalog)
  router.router.applyCatalog(
    buildCatalog({ models: { 'qwen-2.5': { deployments: [deployment('q')] } } }, { providers }),
  )
  const page = await router.openai.models.list()
  expect(page.data.map((m) => m.id)).toEqual(['qwen-2.5'])
  const gone = await router.openai.chat.completions
    .create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] })
    .catch((e: unknown) => e)
  expect(gone).toBeInstanceOf(OpenAI.NotFoundError)
})
