import type { Logger } from 'pino'
import type { LlmRouterConfig } from '../config.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'
import { buildCatalog, loadCatalogFile } from './load.ts'
import type { Catalog } from './schema.ts'

/** The catalog at start: the file if one is named, else the inline one, else none (every model 404s). */
export function initialCatalog(
  config: LlmRouterConfig,
  providers: ProviderRegistry,
  logger: Logger,
): Catalog {
  if (config.LLM_ROUTER_MODELS_FILE !== undefined) {
    if (config.LLM_ROUTER_MODELS !== undefined)
      logger.warn('both LLM_ROUTER_MODELS_FILE and LLM_ROUTER_MODELS are set: the file wins')
    return loadCatalogFile(config.LLM_ROUTER_MODELS_FILE, { providers })
  }
  if (config.LLM_ROUTER_MODELS !== undefined) return buildCatalog(config.LLM_ROUTER_MODELS, { providers })
  logger.warn('no model catalog (LLM_ROUTER_MODELS_FILE or LLM_ROUTER_MODELS): every model answers 404')
  return buildCatalog({ models: {} }, { providers })
}
