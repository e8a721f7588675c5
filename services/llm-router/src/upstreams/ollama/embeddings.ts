import type { EmbeddingsRequest } from '@switchyard/contracts'
import { type EmbeddingsResult, type UpstreamCall, UpstreamError } from '../provider.ts'
import type { OllamaConnection } from './connection.ts'

/** Embeddings through `/api/embed` (one call for a batch), answered in OpenAI's `list` shape. */
export async function embeddings(
  connection: OllamaConnection,
  request: EmbeddingsRequest,
  call: UpstreamCall,
): Promise<EmbeddingsResult> {
  const input = request.input
  if (typeof input !== 'string' && typeof input[0] !== 'string')
    throw new UpstreamError('bad_request', 'ollama embeds text only, not token ids')
  const { deployment } = connection
  const keepAlive = deployment.options.keep_alive
  const client = connection.client(call.signal)
  const response = await client.guard((ollama) =>
    ollama.embed({
      model: deployment.model,
      input: input as string | string[],
      ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      ...(typeof keepAlive === 'string' || typeof keepAlive === 'number' ? { keep_alive: keepAlive } : {}),
    }),
  )
  const base64 = request.encoding_format === 'base64'
  const promptTokens = typeof response.prompt_eval_count === 'number' ? response.prompt_eval_count : null
  const body = JSON.stringify({
    object: 'list',
    data: response.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    })),
    model: call.alias,
    usage: { prompt_tokens: promptTokens ?? 0, total_tokens: promptTokens ?? 0 },
  })
  return { body, promptTokens: () => promptTokens }
}
