import type { Logger } from 'pino'
import type { LlmRouterConfig } from '../config.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'
import { buildCatalog, loadCatalogFile } from './load.ts'
import { operatorCatalogPolicy } from './policy.ts'
import type { Catalog } from './schema.ts'

/** The alias of the local embedding model in the catalog made when none is configured. */
export const localEmbeddingAlias = 'all-minilm-l6-v2'

type LocalModelPaths = Pick<LlmRouterConfig, 'LLM_ROUTER_LOCAL_MODEL' | 'LLM_ROUTER_LOCAL_EMBEDDING_MODEL'>

/**
 * The catalog served when none is configured: each local model not turned `off`. The embedding
 * model cuts a too-long input to its 512-token window rather than refuse it, as Ollama does: rag's
 * chunks are counted with another tokenizer and may run past the window.
 */
export function localCatalogSpec(config: LocalModelPaths): { models: Record<string, unknown> } {
  const on = (path: string) => path !== 'off' && path !== ''
  const models: Record<string, unknown> = {}
  const chat = config.LLM_ROUTER_LOCAL_MODEL
  if (on(chat))
    models.local = {
      deployments: [{ id: 'local', provider: 'local', model: 'local', options: { modelPath: chat } }],
    }
  const embedding = config.LLM_ROUTER_LOCAL_EMBEDDING_MODEL
  if (on(embedding))
    models[localEmbeddingAlias] = {
      deployments: [
        {
          id: localEmbeddingAlias,
          provider: 'local',
          model: localEmbeddingAlias,
          options: { modelPath: embedding, embeddingTruncate: true },
        },
      ],
    }
  return { models }
}

/**
 * The catalog at start: the file if one is named, else the inline one, else the local models (the
 * chat model as the alias `local`, the embedding model as `all-minilm-l6-v2`; each loads on first
 * use), else none (every model 404s).
 */
export function initialCatalog(
  config: LlmRouterConfig,
  providers: ProviderRegistry,
  logger: Logger,
): Catalog {
  const policy = operatorCatalogPolicy(config)
  if (config.LLM_ROUTER_MODELS_FILE !== undefined) {
    if (config.LLM_ROUTER_MODELS !== undefined)
      logger.warn('both LLM_ROUTER_MODELS_FILE and LLM_ROUTER_MODELS are set: the file wins')
    return loadCatalogFile(config.LLM_ROUTER_MODELS_FILE, { providers, policy })
  }
  if (config.LLM_ROUTER_MODELS !== undefined)
    return buildCatalog(config.LLM_ROUTER_MODELS, { providers, policy })
  const local = localCatalogSpec(config)
  if (Object.keys(local.models).length > 0) {
    logger.warn(
      { models: Object.keys(local.models) },
      'no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): serving the local models' +
        ' (scripts/fetch-model.sh fetches the default ones)',
    )
    return buildCatalog(local, { providers, policy })
  }
  logger.warn('no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): every model answers 404')
  return buildCatalog({ models: {} }, { providers, policy })
}
