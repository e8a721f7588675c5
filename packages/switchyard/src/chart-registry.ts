import { topics } from '@switchyard/contracts'
import type { ServiceRegistry } from '@switchyard/runtime'

/** What the Helm chart must know of each service, read from its defineService. */
export interface ChartService {
  calls: readonly string[]
  needs: readonly string[]
  migrations: boolean
  signsInternalTokens: boolean
  signsWorkerTokens: boolean
}

/** A Kafka topic the chart's Job creates: every topic of the contracts, and its DLQ. */
export interface ChartTopic {
  name: string
  compacted: boolean
}

export interface ChartRegistry {
  services: Record<string, ChartService>
  topics: ChartTopic[]
}

/**
 * The registry as the chart reads it (helm/switchyard/files/registry.json): NetworkPolicy edges,
 * Istio AuthorizationPolicies, secret mounts, migration Jobs and the topics Job come from this
 * one file, so the chart's call graph is the code's. `node packages/switchyard/src/write-chart-registry.ts`
 * rewrites it.
 */
export function chartRegistry(registry: ServiceRegistry): ChartRegistry {
  return {
    services: Object.fromEntries(
      Object.entries(registry).map(([name, definition]) => [
        name,
        {
          calls: [...definition.calls],
          needs: [...definition.needs],
          migrations: definition.migrationsDir !== undefined,
          signsInternalTokens: definition.signsInternalTokens === true,
          signsWorkerTokens: definition.signsWorkerTokens === true,
        },
      ]),
    ),
    // The bus dead-letters a failed event to `<topic>.dlq` (packages/events, dlqTopic).
    topics: Object.values(topics).flatMap((topic) => [
      { name: topic.name, compacted: topic.compacted === true },
      { name: `${topic.name}.dlq`, compacted: false },
    ]),
  }
}

export const chartRegistryFile = new URL('../../../helm/switchyard/files/registry.json', import.meta.url)

export function renderChartRegistry(registry: ServiceRegistry): string {
  return `${JSON.stringify(chartRegistry(registry), null, 2)}\n`
}
