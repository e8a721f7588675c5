import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { SearchParams, SearchRequest, SearchResultsPage } from './schemas.ts'
import { findSearchableStore, type SearchDeps, searchVectorStore } from './service.ts'

/**
 * `POST /v1/vector_stores/{id}/search`. `notFound` is the service's own 404 for a store, so search
 * answers exactly as every other route for a store the caller cannot see.
 */
export function searchRoutes(app: KitServer, deps: SearchDeps, notFound: (id: string) => Error): void {
  app.post(
    '/v1/vector_stores/:vector_store_id/search',
    {
      config: { scopes: [scopes.filesRead, scopes.llmUse] },
      schema: {
        summary: 'Search a vector store (OpenAI-compatible; `mode` is Switchyard’s extension)',
        params: SearchParams,
        body: SearchRequest,
        response: { 200: SearchResultsPage },
      },
    },
    async (request) => {
      const store = await findSearchableStore(deps.sql, request.identity, request.params.vector_store_id)
      if (store === null) throw notFound(request.params.vector_store_id)
      return searchVectorStore(
        deps,
        { identity: request.identity, token: request.internalToken },
        store,
        request.body,
      )
    },
  )
}
