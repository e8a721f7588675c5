// The llm-router as the one-process shape runs it with no catalog: the local instruct model as
// `local` and all-MiniLM-L6-v2 as `all-minilm-l6-v2`, both in its local provider (node-llama-cpp),
// listening on loopback; and an internal token for the bench's caller.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { LlmRouterConfig, llmRouterService } from '@switchyard/llm-router'
import { start } from '@switchyard/runtime'

export interface LocalRouter {
  url: string
  token: string
  close(): Promise<void>
}

const defaultOf = (key: 'LLM_ROUTER_LOCAL_MODEL' | 'LLM_ROUTER_LOCAL_EMBEDDING_MODEL') =>
  (LlmRouterConfig.properties[key] as { default?: string }).default ?? ''

/** The model files: the environment's, else the instruct model beside the router's default. */
export function localModels(): { chat: string; embedding: string } {
  const chat =
    process.env.LLM_ROUTER_LOCAL_MODEL ??
    join(dirname(defaultOf('LLM_ROUTER_LOCAL_MODEL')), 'smollm2-135m-instruct-q4_1.gguf')
  const embedding =
    process.env.LLM_ROUTER_LOCAL_EMBEDDING_MODEL ?? defaultOf('LLM_ROUTER_LOCAL_EMBEDDING_MODEL')
  for (const [path, fetch] of [
    [chat, 'smollm2'],
    [embedding, 'minilm'],
  ] as const)
    if (!existsSync(path)) throw new Error(`no model at ${path}: bash scripts/fetch-model.sh ${fetch}`)
  return { chat, embedding }
}

export async function startLocalRouter(models: { chat: string; embedding: string }): Promise<LocalRouter> {
  const root = await mkdtemp(join(tmpdir(), 'bench-agent-'))
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 24 * 3_600 })
  const switchyard = await start({
    listen: false,
    services: { 'llm-router': llmRouterService },
    homeDir: root,
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'warn',
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
      LLM_ROUTER_LOCAL_MODEL: models.chat,
      LLM_ROUTER_LOCAL_EMBEDDING_MODEL: models.embedding,
      SHUTDOWN_GRACE_MS: '1s',
    },
  })
  const app = switchyard.apps['llm-router']
  if (app === undefined) throw new Error('the runtime did not start the llm-router')
  // On a socket of its own, as it listens when it runs alone.
  await app.listen({ host: '127.0.0.1', port: 0 })
  const token = await signer.sign({
    orgId: 'org_bench',
    userId: 'user_bench',
    keyId: 'key_bench',
    scopes: ['llm:use'],
  })
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    token,
    close: async () => {
      await switchyard.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}
