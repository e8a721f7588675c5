import { createLlmRouterClient } from '@switchyard/contracts'
import type { KitServer, ServiceContext } from '@switchyard/kit'
import type { RagConfig } from '../config.ts'
import { ragErrors } from '../errors.ts'
import { createRouterEmbedder } from '../ingestion/embed.ts'
import { searchRoutes } from './routes.ts'

/** Registers `POST /v1/vector_stores/{id}/search`. */
export function registerSearch(app: KitServer, ctx: ServiceContext<RagConfig>): void {
  if (ctx.sql === undefined) throw new Error('rag search needs ctx.sql')
  const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
  searchRoutes(
    app,
    { sql: ctx.sql, embedder: createRouterEmbedder(router), defaultTopK: ctx.config.RAG_TOP_K },
    (id) => new ragErrors.VectorStoreNotFound(id),
  )
}
