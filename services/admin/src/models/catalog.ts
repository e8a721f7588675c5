import type { Queryable } from '../db/sql.ts'
import { modelsRepository } from './repository.ts'
import type { Model } from './schemas.ts'

/**
 * The catalog in the llm-router's format (`CatalogSpec`: `{ models: { <alias>: AliasSpec } }`),
 * with each alias's price in force now. An alias without deployments cannot serve and is left out.
 */
export function toCatalogSpec(models: Model[]): { models: Record<string, Record<string, unknown>> } {
  const spec: Record<string, Record<string, unknown>> = {}
  for (const model of models) {
    if (!model.deployments || model.deployments.length === 0) continue
    spec[model.alias] = {
      strategy: model.strategy,
      listed: model.listed,
      ...(model.fallbacks.length > 0 && { fallbacks: model.fallbacks }),
      ...(model.price && {
        pricing: {
          inputPerMillion: model.price.inputPerMillion,
          outputPerMillion: model.price.outputPerMillion,
        },
      }),
      deployments: model.deployments.map((d) => ({
        id: d.id,
        provider: d.provider,
        model: d.model,
        weight: d.weight,
        ...(d.baseUrl !== null && { baseUrl: d.baseUrl }),
        ...(d.maxConcurrency !== null && { maxConcurrency: d.maxConcurrency }),
        ...(d.apiKeyFile !== null && { apiKeyFile: d.apiKeyFile }),
        ...(Object.keys(d.options).length > 0 && { options: d.options }),
      })),
    }
  }
  return { models: spec }
}

export async function loadCatalogSpec(db: Queryable) {
  return toCatalogSpec(await modelsRepository.list(db))
}
