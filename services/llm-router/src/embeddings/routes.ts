import { EmbeddingsRequest } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { startLlmSpan } from '../observability/spans.ts'
import { execute } from '../pipeline/execute.ts'
import { admit, answerFailure, beginRequest, sendAnswer } from '../pipeline/lifecycle.ts'
import type { PipelineDeps } from '../pipeline/request.ts'
import { UpstreamError } from '../upstreams/provider.ts'
import { embeddingInputText, estimateEmbeddingTokens } from '../usage/tokens.ts'

/** `POST /v1/embeddings`: one input or a batch, floats or base64, as the OpenAI API answers it. */
export function embeddingsRoutes(app: KitServer, deps: PipelineDeps): void {
  app.post(
    '/v1/embeddings',
    {
      schema: { summary: 'Create embeddings (OpenAI-compatible)', body: EmbeddingsRequest },
    },
    async (request, reply) => {
      const body = request.body
      const { llm, aliasState } = beginRequest(deps, request, reply, {
        alias: body.model,
        operation: 'embeddings',
        stream: false,
      })
      llm.span = startLlmSpan('embeddings', body.model, {})
      try {
        const admitting = admit(deps.admission, llm, {
          promptTokens: estimateEmbeddingTokens(body.input),
          maxTokens: 0,
          pricing: aliasState.alias.maxPricing,
        })
        if (admitting !== undefined) await admitting
        const { value, attempt } = await execute(deps, llm, aliasState, async (attempt) => {
          const client = attempt.state.client
          if (client.embeddings === undefined)
            throw new UpstreamError('bad_request', `deployment ${attempt.state.deployment.id} does not embed`)
          return attempt.guard(client.embeddings(body, { alias: llm.alias, signal: attempt.signal }))
        })
        attempt.answered()
        attempt.end()
        llm.embeddingInput = embeddingInputText(body.input)
        llm.tokens = {
          usage() {
            const prompt = value.promptTokens()
            return prompt === null
              ? null
              : { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt }
          },
          completionText: () => '',
        }
        llm.succeed()
        return sendAnswer(reply, llm, attempt.state.deployment.id, value.body)
      } catch (error) {
        return answerFailure(reply, llm, error)
      }
    },
  )
}
