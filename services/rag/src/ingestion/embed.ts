import OpenAI from 'openai'

/** Makes embeddings for a caller: the identity in their token is who the llm-router bills and limits. */
export interface Embedder {
  /** One vector per input, in order; `token` is the caller's internal token. */
  embed(model: string, inputs: readonly string[], token: string): Promise<number[][]>
}

export interface RouterEmbedderOptions {
  /** The llm-router's OpenAI-compatible base URL and a fetch over the dispatcher (its contracts client). */
  baseURL: string
  fetch: typeof globalThis.fetch
}

/** Embeddings through the llm-router's `/v1/embeddings`, with the official `openai` client. */
export function createRouterEmbedder(options: RouterEmbedderOptions): Embedder {
  return {
    async embed(model, inputs, token) {
      // No retries here: the worker retries a whole batch with backoff, and keeps its place.
      const client = new OpenAI({
        apiKey: token,
        baseURL: options.baseURL,
        fetch: options.fetch,
        maxRetries: 0,
      })
      const res = await client.embeddings.create({ model, input: [...inputs], encoding_format: 'float' })
      if (res.data.length !== inputs.length)
        throw new Error(`the router returned ${res.data.length} embeddings for ${inputs.length} inputs`)
      const vectors: number[][] = new Array(inputs.length)
      for (const item of res.data) vectors[item.index] = item.embedding
      return vectors
    },
  }
}

/**
 * Whether a failure may pass by itself (the router or its upstream down, overloaded, rate limited,
 * over a budget that refills): the file is retried later. Anything else (an unknown model, a
 * refused request) would fail again, so the file ends failed.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof OpenAI.APIConnectionError) return true
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0
    return status === 0 || status === 408 || status === 409 || status === 429 || status >= 500
  }
  // The original is gone (deleted with its file while queued): trying again cannot bring it back.
  if (error instanceof Error && error.name === 'ObjectNotFoundError') return false
  // Anything else not from the router (the database, the object store) is infrastructure: retry it.
  return !(error instanceof TypeError)
}
