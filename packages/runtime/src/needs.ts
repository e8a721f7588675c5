import { ConfigError, loadConfig } from '@switchyard/config'
import type { ServiceName } from '@switchyard/contracts'
import type { ServiceDefinition } from '@switchyard/kit'
import type { TObject } from 'typebox'
import type { ServiceRegistry } from './plan.ts'

type Env = Readonly<Record<string, string | undefined>>

/**
 * The registry with `needs` as each service's config chooses (`needsFor`: chat's CHAT_STORE), for
 * the services `target` runs; the planner then stays a function of definitions alone. Only those
 * services' configs are read: a pod of one service is not held to another's keys. A config that
 * does not load keeps the definition's `needs`; its keys are reported with every other bad key when
 * the configs are loaded for real.
 */
export function withChosenNeeds(services: ServiceRegistry, target: string, env: Env): ServiceRegistry {
  const chosen: ServiceRegistry = {}
  for (const [name, service] of Object.entries(services) as [ServiceName, ServiceDefinition][]) {
    chosen[name] = target === 'all' || target === name ? choose(service, env) : service
  }
  return chosen
}

function choose(service: ServiceDefinition, env: Env): ServiceDefinition {
  if (!service.needsFor) return service
  try {
    const config = loadConfig(service.configSchema as unknown as TObject, env)
    return { ...service, needs: service.needsFor(config) }
  } catch (error) {
    if (error instanceof ConfigError) return service
    throw error
  }
}
