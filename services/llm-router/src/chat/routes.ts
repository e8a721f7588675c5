import { ChatCompletionRequest, scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { handleLlmRequest, type LlmKind } from '../pipeline/lifecycle.ts'
import type { PipelineDeps } from '../pipeline/request.ts'
import { UpstreamError } from '../upstreams/provider.ts'

/** A chat completion: a whole answer, or a stream opened up to its first event. */
const chatCompletion: LlmKind<ChatCompletionRequest> = {
  operation: 'chat',
  stream: (body) => body.stream === true,
  prompt: (body) => ({ messages: body.messages, tools: body.tools, response_format: body.response_format }),
  maxTokens: (body) => body.max_completion_tokens ?? body.max_tokens ?? null,
  choices: (body) => body.n ?? 1,
  async call(attempt, body, alias) {
    const client = attempt.state.client
    if (body.stream !== true) {
      if (client.chat === undefined) throw unsupported('chat', attempt.state.deployment.id)
      return attempt.guard(client.chat(body, { alias, signal: attempt.signal }))
    }
    if (client.chatStream === undefined) throw unsupported('streaming chat', attempt.state.deployment.id)
    attempt.armTtft()
    const upstream = await attempt.guard(client.chatStream(body, { alias, signal: attempt.signal }))
    const iterator = upstream[Symbol.asyncIterator]()
    const head = await attempt.guard(iterator.next())
    attempt.event()
    return { upstream, iterator, head, includeUsage: body.stream_options?.include_usage === true }
  },
}

/** `POST /v1/chat/completions`, streamed (SSE) or not, as the OpenAI API answers it. */
export function chatRoutes(app: KitServer, deps: PipelineDeps): void {
  app.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Create a chat completion (OpenAI-compatible)',
        body: ChatCompletionRequest,
      },
      config: { scopes: [scopes.llmUse] },
    },
    (request, reply) => handleLlmRequest(deps, chatCompletion, request, reply),
  )
}

function unsupported(what: string, deployment: string): UpstreamError {
  return new UpstreamError('bad_request', `deployment ${deployment} does not support ${what}`)
}
