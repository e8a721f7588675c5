import { Gauge, type Registry } from 'prom-client'
import type { ModelRouter } from './router.ts'

export const cooldownMetricName = 'llm_router_deployment_cooldown'

/**
 * `llm_router_deployment_cooldown{model, deployment}`: 1 while this replica keeps the deployment
 * out, else 0; one series per deployment of the current catalog, labelled with its alias. Read at scrape time from
 * the router's local health copy, so nothing on the request path writes it. The alert rules page
 * when a deployment stays out, and when every deployment of a model is out at once.
 */
export function registerCooldownMetric(registry: Registry, router: ModelRouter): void {
  // A second router on the same registry (the one-process shape's restarts, tests) takes it over.
  registry.removeSingleMetric(cooldownMetricName)
  new Gauge({
    name: cooldownMetricName,
    help: 'Whether the llm-router keeps the deployment out after failures or a 429 (1) or uses it (0).',
    labelNames: ['model', 'deployment'],
    registers: [registry],
    collect() {
      this.reset()
      for (const alias of router.catalog?.aliases.values() ?? [])
        for (const deployment of alias.deployments)
          this.set(
            { model: alias.name, deployment: deployment.id },
            router.health.cooling(deployment.id) === undefined ? 0 : 1,
          )
    },
  })
}
