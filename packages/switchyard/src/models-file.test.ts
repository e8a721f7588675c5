// The README's way to route to vLLM, Ollama or any OpenAI-compatible API: `LLM_ROUTER_MODELS_FILE`
// naming a YAML catalog, given to `switchyard start` with the bootstrap variables, then a chat
// completion through the gateway with the owner key the log printed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { spawnSwitchyard } from './spawn-switchyard.ts'

test('LLM_ROUTER_MODELS_FILE=catalog.yaml switchyard start routes chat completions to the catalog', async () => {
  const model = 'gpt-fake'
  const upstream = await startFakeOpenAI({ models: [model] })
  onTestFinished(() => upstream.close())
  const root = await mkdtemp(join(tmpdir(), 'switchyard-models-file-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const catalog = join(root, 'catalog.yaml')
  await writeFile(
    catalog,
    [
      'models:',
      `  ${model}:`,
      '    deployments:',
      `      - { id: fake-1, provider: openai, baseUrl: '${upstream.url}', model: ${model} }`,
      '',
    ].join('\n'),
  )

  const switchyard = await spawnSwitchyard({
    dataDir: join(root, 'data'),
    home: root,
    env: {
      ADMIN_BOOTSTRAP_ORG: 'acme',
      ADMIN_BOOTSTRAP_OWNER_EMAIL: 'you@acme.test',
      LLM_ROUTER_MODELS_FILE: catalog,
    },
    // Not a timing test: a loaded machine only makes the start slower.
    healthyWithinMs: 90_000,
  })
  const ownerKey = switchyard.output().match(/Owner API key[^:]*: (sy_\w+)/)?.[1]
  expect(ownerKey, switchyard.output()).toBeDefined()

  const content = 'Hello'
  const res = await fetch(`${switchyard.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 32, messages: [{ role: 'user', content }] }),
  })
  const body = (await res.json()) as { choices?: { message: { content: string } }[] }
  expect(res.status, JSON.stringify(body)).toBe(200)
  expect(body.choices?.[0]?.message.content).toBe(`echo: ${content}`)
  expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/chat/completions'])
}, 120_000)
