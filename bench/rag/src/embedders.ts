// Quality's embeddings, both through the real llm-router: the router's local all-MiniLM-L6-v2
// (what the one-process shape embeds with), or the fake upstream's feature hashing (no model).
import { existsSync } from 'node:fs'
import { LlmRouterConfig } from '@switchyard/llm-router'
import { startFakeOpenAI } from '@switchyard/testing'
import { fakeDimensions } from './embedder.ts'

export interface QualityEmbedder {
  /** The router's config. */
  env: Record<string, string>
  /** The alias a vector store names. */
  model: string
  describe: string
  close(): Promise<void>
}

/** The alias the router serves its local embedding model as when no catalog is configured. */
const localAlias = 'all-minilm-l6-v2'

export async function qualityEmbedder(kind: 'local' | 'fake'): Promise<QualityEmbedder> {
  if (kind === 'local') {
    const path =
      process.env.LLM_ROUTER_LOCAL_EMBEDDING_MODEL ??
      (LlmRouterConfig.properties.LLM_ROUTER_LOCAL_EMBEDDING_MODEL as { default?: string }).default ??
      ''
    if (!existsSync(path))
      throw new Error(
        `no embedding model at ${path}: bash scripts/fetch-model.sh minilm (or --embedding fake)`,
      )
    return {
      // No catalog: the router serves its local models; the chat model is not needed here.
      env: { LLM_ROUTER_LOCAL_MODEL: 'off', LLM_ROUTER_LOCAL_EMBEDDING_MODEL: path },
      model: localAlias,
      describe: `all-MiniLM-L6-v2 (${path}) in the router's local provider`,
      close: async () => {},
    }
  }
  const upstream = await startFakeOpenAI({ models: ['fake-embed'], embeddingDimensions: fakeDimensions })
  const model = 'bench-embed'
  const catalog = {
    models: {
      [model]: {
        deployments: [{ id: 'fake-embed-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-embed' }],
      },
    },
  }
  return {
    env: { LLM_ROUTER_MODELS: JSON.stringify(catalog) },
    model,
    describe: `the fake upstream's feature hashing (${fakeDimensions} dims)`,
    close: () => upstream.close(),
  }
}
