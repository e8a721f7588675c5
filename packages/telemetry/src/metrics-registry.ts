import { collectDefaultMetrics, Registry } from 'prom-client'

export interface MetricsRegistryOptions {
  /** Prefix for the default process and Node.js metrics only (e.g. `switchyard_`). */
  prefix?: string
  /** Labels added to every metric of the registry (e.g. `{ cluster: 'eu-1' }`). */
  defaultLabels?: Record<string, string>
}

let shared: { registry: Registry; options: string } | undefined

/**
 * The process's one Prometheus registry, with the default process and Node.js metrics registered on it.
 *
 * One per process, not one per service: in the all-in-one shape six services share a process, and
 * process metrics (CPU, heap, event-loop lag) registered six times would be six copies of one truth.
 * So the first call creates it and later calls return the same registry. A later call that asks for
 * different options throws rather than silently ignoring them; a call without options takes whatever
 * exists. Per-service labels belong on the metrics that services define, not on the registry.
 */
export function createMetricsRegistry(options?: MetricsRegistryOptions): Registry {
  const key = JSON.stringify({
    prefix: options?.prefix ?? '',
    defaultLabels: sorted(options?.defaultLabels ?? {}),
  })
  if (shared) {
    if (options !== undefined && key !== shared.options) {
      throw new Error(
        `createMetricsRegistry: the process registry already exists with ${shared.options}; asked for ${key}`,
      )
    }
    return shared.registry
  }
  const registry = new Registry()
  if (options?.defaultLabels) registry.setDefaultLabels(options.defaultLabels)
  collectDefaultMetrics({ register: registry, ...(options?.prefix ? { prefix: options.prefix } : {}) })
  shared = { registry, options: key }
  return registry
}

function sorted(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))
}
