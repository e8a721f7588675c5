import { fetchOver } from '../fetch-over.ts'
import { Model } from '../openai/models.ts'
import { type CallOptions, callService, type ServiceAnswer, type ServiceEndpoint } from '../service-call.ts'

/**
 * What other services ask the llm-router. Completions and embeddings go through the official
 * `openai` client, as any user's would: give it `baseURL` and `fetch` from here, which run over
 * the caller's dispatcher.
 */
export interface LlmRouterClient {
  /** The OpenAI-compatible API's base URL, for `new OpenAI({ baseURL })`. */
  baseURL: string
  /** A `fetch` over the caller's dispatcher, for `new OpenAI({ fetch })`. */
  fetch: typeof globalThis.fetch
  /** `GET /v1/models/{alias}`: 404 for an alias the router does not route. */
  getModel(alias: string, options: CallOptions): Promise<ServiceAnswer<Model>>
}

/** The llm-router's client over the caller's dispatcher (`ctx.dispatcher`) and the router's origin. */
export function createLlmRouterClient(endpoint: ServiceEndpoint): LlmRouterClient {
  return {
    baseURL: `${endpoint.origin}/v1`,
    fetch: fetchOver(endpoint.dispatcher),
    getModel: (alias, options) =>
      callService(
        endpoint,
        { method: 'GET', path: `/v1/models/${encodeURIComponent(alias)}` },
        Model,
        options,
      ),
  }
}
