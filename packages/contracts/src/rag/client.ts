import { type CallOptions, callService, type ServiceAnswer, type ServiceEndpoint } from '../service-call.ts'
import { type SearchRequest, SearchResultsPage } from './search.ts'

/** What other services ask rag. Each route's schemas are in this folder; rag serves them. */
export interface RagClient {
  /**
   * `POST /v1/vector_stores/{id}/search` with the caller's token (scopes `files:read` and
   * `llm:use`): only stores the caller may read. Another org's store, or one whose access list
   * leaves the caller out, answers 404 `ragErrorCodes.VectorStoreNotFound`.
   */
  search(
    vectorStoreId: string,
    body: SearchRequest,
    options: CallOptions,
  ): Promise<ServiceAnswer<SearchResultsPage>>
}

/** rag's client over the caller's dispatcher (`ctx.dispatcher`) and rag's origin. */
export function createRagClient(endpoint: ServiceEndpoint): RagClient {
  return {
    search: (vectorStoreId, body, options) =>
      callService(
        endpoint,
        { method: 'POST', path: `/v1/vector_stores/${encodeURIComponent(vectorStoreId)}/search`, body },
        SearchResultsPage,
        options,
      ),
  }
}
