import { EmbeddingsRequest, scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { handleLlmRequest, type LlmKind } from '../pipeline/lifecycle.ts'
import type { PipelineDeps } from '../pipeline/request.ts'
import { UpstreamError } from '../upstreams/provider.ts'

/** Embeddings: always a whole answer, whose only tokens are the prompt's. */
const embeddings: LlmKind<EmbeddingsRequest> = {
  operation: 'embeddings',
  stream: () => false,
  prompt: (body) => ({ input: body.input }),
  maxTokens: () => 0,
  async call(attempt, body, alias) {
    const client = attempt.state.client
    if (client.embeddings === undefined)
      throw new UpstreamError('bad_request', `deployment ${attempt.state.deployment.id} does not embed`)
    const result = await attempt.guard(client.embeddings(body, { alias, signal: attempt.signal }))
    return {
      body: result.body,
      usage() {
        const prompt = result.promptTokens()
        return prompt === null ? null : { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt }
      },
      completionText: () => '',
    }
  },
}

/** `POST /v1/embeddings`: one input or a batch, floats or base64, as the OpenAI API answers it. */
export function embeddingsRoutes(app: KitServer, deps: PipelineDeps): void {
  app.post(
    '/v1/embeddings',
    {
      schema: { summary: 'Create embeddings (OpenAI-compatible)', body: EmbeddingsRequest },
      config: { scopes: [scopes.llmUse] },
    },
    (request, reply) => handleLlmRequest(deps, embeddings, request, reply),
  )
}
