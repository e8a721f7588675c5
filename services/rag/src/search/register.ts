import { createLlmRouterClient } from '@switchyard/contracts'
import type { KitServer, ServiceContext } from '@switchyard/kit'
import OpenAI from 'openai'
import type { RagConfig } from '../config.ts'
import { ragErrors } from '../errors.ts'
import { createRouterEmbedder } from '../ingestion/embed.ts'
import { answerRoutes } from './answer/routes.ts'
import { searchRoutes } from './routes.ts'

/** Registers `POST /v1/vector_stores/{id}/search` and `.../answer`. */
export function registerSearch(app: KitServer, ctx: ServiceContext<RagConfig>): void {
  if (ctx.sql === undefined) throw new Error('rag search needs ctx.sql')
  const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
  const deps = {
    sql: ctx.sql,
    embedder: createRouterEmbedder(router),
    defaultTopK: ctx.config.RAG_TOP_K,
    // A client per answer, carrying the caller's token: the router bills the answer to them.
    llm: (token: string) =>
      new OpenAI({ apiKey: token, baseURL: router.baseURL, fetch: router.fetch, maxRetries: 0 }),
  }
  const notFound = (id: string) => new ragErrors.VectorStoreNotFound(id)
  searchRoutes(app, deps, notFound)
  answerRoutes(app, deps, notFound)
}
