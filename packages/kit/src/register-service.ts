import type { Static, TSchema } from 'typebox'
import type { KitServer } from './server/create-server.ts'
import type { ServiceContext, ServiceDefinition } from './service-definition.ts'

/**
 * Registers a service's plugin with its context as options, encapsulated (no fastify-plugin): its
 * hooks, decorators and error handler stay inside it when six services share one process. Its
 * routes are tagged with the service name in the OpenAPI document unless they name their own tags.
 */
export async function registerService<S extends TSchema>(
  app: KitServer,
  definition: ServiceDefinition<S>,
  context: ServiceContext<Static<S>>,
): Promise<void> {
  const scope = async (service: KitServer) => {
    service.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, tags: route.schema?.tags ?? [definition.name] }
    })
    await service.register(definition.plugin, context)
  }
  // avvio and Fastify's plugin tree print this name.
  Object.defineProperty(scope, 'name', { value: `service:${definition.name}` })
  await app.register(scope)
}
