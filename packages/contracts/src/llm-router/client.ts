import { fetch as undiciFetch } from 'undici'
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
  const { dispatcher } = endpoint
  return {
    baseURL: `${endpoint.origin}/v1`,
    // undici's own fetch: the global one is another copy of undici, which need not take this dispatcher.
    fetch: ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as string, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      })) as unknown as typeof globalThis.fetch,
    getModel: (alias, options) =>
      callService(
        endpoint,
        { method: 'GET', path: `/v1/models/${encodeURIComponent(alias)}` },
        Model,
        options,
      ),
  }
}
