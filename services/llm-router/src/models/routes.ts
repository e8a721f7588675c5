import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { llmRouterErrors } from '../errors.ts'
import type { ModelRouter } from '../routing/router.ts'

/** `GET /v1/models`: the aliases callers may name (those the catalog lists), not the upstreams' names. */
export function modelsRoutes(app: KitServer, router: ModelRouter): void {
  app.get(
    '/v1/models',
    { schema: { summary: 'List the models (aliases) callers may use' }, config: { scopes: [scopes.llmUse] } },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(router.modelsBody()),
  )
}

/** `GET /v1/models/{model}`; ids may hold slashes (`meta-llama/...`), hence the wildcard. */
export function modelRoutes(app: KitServer, router: ModelRouter): void {
  const options = { schema: { summary: 'Retrieve one model (alias)' }, config: { scopes: [scopes.llmUse] } }
  app.get('/v1/models/*', options, async (request) => {
    const id = decodeURIComponent((request.params as { '*': string })['*'])
    const alias = router.alias(id)
    if (alias === undefined || !alias.alias.listed) {
      const error = new llmRouterErrors.ModelNotFound(id)
      error.param = 'model'
      throw error
    }
    return { id, object: 'model', created: router.createdAt, owned_by: 'switchyard' }
  })
}
