import { ChatCompletionRequest } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { startLlmSpan } from '../observability/spans.ts'
import { execute } from '../pipeline/execute.ts'
import { admit, answerFailure, beginRequest, sendAnswer } from '../pipeline/lifecycle.ts'
import type { PipelineDeps } from '../pipeline/request.ts'
import { UpstreamError } from '../upstreams/provider.ts'
import { estimatePromptTokens } from '../usage/tokens.ts'
import { writeStream } from './stream.ts'

/** `POST /v1/chat/completions`, streamed (SSE) or not, as the OpenAI API answers it. */
export function chatRoutes(app: KitServer, deps: PipelineDeps): void {
  app.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Create a chat completion (OpenAI-compatible)',
        body: ChatCompletionRequest,
      },
    },
    async (request, reply) => {
      const body = request.body
      const stream = body.stream === true
      const { llm, aliasState } = beginRequest(deps, request, reply, {
        alias: body.model,
        operation: 'chat',
        stream,
      })
      llm.messages = body.messages
      llm.span = startLlmSpan('chat', body.model, body)
      try {
        const admitting = admit(deps.admission, llm, {
          promptTokens: estimatePromptTokens(body.messages),
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
          pricing: aliasState.alias.maxPricing,
        })
        if (admitting !== undefined) await admitting
        if (stream) {
          const { value, attempt } = await execute(deps, llm, aliasState, async (attempt) => {
            const client = attempt.state.client
            if (client.chatStream === undefined)
              throw unsupported('streaming chat', attempt.state.deployment.id)
            attempt.armTtft()
            const upstream = await attempt.guard(
              client.chatStream(body, { alias: llm.alias, signal: attempt.signal }),
            )
            const iterator = upstream[Symbol.asyncIterator]()
            const head = await attempt.guard(iterator.next())
            attempt.event()
            return { upstream, iterator, head }
          })
          await writeStream(deps, llm, reply, attempt, value, body.stream_options?.include_usage === true)
          return reply
        }
        const { value, attempt } = await execute(deps, llm, aliasState, async (attempt) => {
          const client = attempt.state.client
          if (client.chat === undefined) throw unsupported('chat', attempt.state.deployment.id)
          return attempt.guard(client.chat(body, { alias: llm.alias, signal: attempt.signal }))
        })
        attempt.answered()
        attempt.end()
        llm.tokens = value
        llm.succeed()
        return sendAnswer(reply, llm, attempt.state.deployment.id, value.body)
      } catch (error) {
        return answerFailure(reply, llm, error)
      }
    },
  )
}

function unsupported(what: string, deployment: string): UpstreamError {
  return new UpstreamError('bad_request', `deployment ${deployment} does not support ${what}`)
}
