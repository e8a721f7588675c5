import type { Logger } from 'pino'
import type { LlmRouterConfig } from '../config.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'
import { buildCatalog, loadCatalogFile } from './load.ts'
import { operatorCatalogPolicy } from './policy.ts'
import type { Catalog } from './schema.ts'

/** The alias of the local embedding model in the catalog made when none is configured. */
export const localEmbeddingAlias = 'all-minilm-l6-v2'

/** The local models served when no catalog is configured, by alias: those not turned `off`. */
function localModels(config: LlmRouterConfig): Record<string, string> {
  const wanted = {
    local: config.LLM_ROUTER_LOCAL_MODEL,
    [localEmbeddingAlias]: config.LLM_ROUTER_LOCAL_EMBEDDING_MODEL,
  }
  return Object.fromEntries(Object.entries(wanted).filter(([, path]) => path !== 'off' && path !== ''))
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
  const local = localModels(config)
  if (Object.keys(local).length > 0) {
    logger.warn(
      { models: local },
      'no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): serving the local models' +
        ' (scripts/fetch-model.sh fetches the default ones)',
    )
    const models = Object.fromEntries(
      Object.entries(local).map(([alias, modelPath]) => [
        alias,
        { deployments: [{ id: alias, provider: 'local', model: alias, options: { modelPath } }] },
      ]),
    )
    return buildCatalog({ models }, { providers, policy })
  }
  logger.warn('no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): every model answers 404')
  return buildCatalog({ models: {} }, { providers, policy })
}
