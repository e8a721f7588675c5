// The supervisor's embeddings and classifier calls through the llm-router's OpenAI API, each with
// the caller's token: the router's rate limits and budgets apply to routing too.
import OpenAI from 'openai'
import type { CompleteJson, Embed } from './ports.ts'

export interface RouterPortsOptions {
  /** The llm-router's OpenAI-compatible base URL and a fetch over the dispatcher (its contracts client). */
  baseURL: string
  fetch: typeof globalThis.fetch
  embeddingModel: string
  classifierModel: string
}

export function createRouterPorts(o: RouterPortsOptions): { embed: Embed; complete: CompleteJson } {
  const client = (token: string) =>
    new OpenAI({ apiKey: token, baseURL: o.baseURL, fetch: o.fetch, maxRetries: 0 })
  return {
    async embed(inputs, ctx) {
      const res = await client(ctx.token).embeddings.create(
        { model: o.embeddingModel, input: [...inputs], encoding_format: 'float' },
        { signal: ctx.signal },
      )
      const vectors: number[][] = new Array(inputs.length)
      for (const item of res.data) vectors[item.index] = item.embedding
      return vectors
    },
    async complete(request, ctx) {
      const res = await client(ctx.token).chat.completions.create(
        {
          model: o.classifierModel,
          messages: request.messages,
          max_tokens: request.maxTokens,
          temperature: 0,
          response_format: {
            type: 'json_schema',
            json_schema: { name: request.schemaName, schema: request.schema, strict: true },
          },
        },
        { signal: ctx.signal },
      )
      return res.choices[0]?.message.content ?? ''
    },
  }
}
