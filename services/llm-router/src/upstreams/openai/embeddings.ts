import type { EmbeddingsRequest } from '@switchyard/contracts'
import { modelRewriter } from '../../fast-path/rewrite-model.ts'
import { type EmbeddingsResult, type UpstreamCall, UpstreamError } from '../provider.ts'
import { type OpenAIConnection, onlyFields } from './connection.ts'

/** Embeddings, passed through; the body is parsed for its usage only after it was sent. */
export async function embeddings(
  connection: OpenAIConnection,
  request: EmbeddingsRequest,
  call: UpstreamCall,
): Promise<EmbeddingsResult> {
  const text = await connection.postText(
    '/embeddings',
    JSON.stringify({ ...onlyFields(request, connection.fields.embeddings), model: connection.model }),
    call.signal,
  )
  if (text.charCodeAt(0) !== 0x7b)
    throw new UpstreamError('protocol', 'the upstream answered 200 without a JSON object')
  const rewrite = modelRewriter(connection.model, call.alias)
  const body = rewrite === null ? text : rewrite(text)
  return {
    body,
    promptTokens() {
      try {
        const usage = (JSON.parse(body) as { usage?: { prompt_tokens?: unknown } }).usage
        return typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null
      } catch {
        return null
      }
    },
  }
}
