import type { Logger } from 'pino'
import type { LlmRouterConfig } from '../config.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'
import { buildCatalog, loadCatalogFile } from './load.ts'
import { operatorCatalogPolicy } from './policy.ts'
import type { Catalog } from './schema.ts'

/**
 * The catalog at start: the file if one is named, else the inline one, else the local model as the
 * alias `local` (the model loads on first use), else none (every model 404s).
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
  const modelPath = config.LLM_ROUTER_LOCAL_MODEL
  if (modelPath !== 'off' && modelPath !== '') {
    logger.warn(
      { modelPath },
      'no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): serving the local model as `local`' +
        ' (scripts/fetch-model.sh fetches the default one)',
    )
    return buildCatalog(
      {
        models: {
          local: {
            deployments: [{ id: 'local', provider: 'local', model: 'local', options: { modelPath } }],
          },
        },
      },
      { providers, policy },
    )
  }
  logger.warn('no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): every model answers 404')
  return buildCatalog({ models: {} }, { providers, policy })
}
