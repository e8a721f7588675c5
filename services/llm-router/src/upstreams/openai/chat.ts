import type { ChatCompletionRequest, Usage } from '@switchyard/contracts'
import { bytesRewriter, modelRewriter } from '../../fast-path/rewrite-model.ts'
import { type ChatCompletionResult, type ChatStream, type UpstreamCall, UpstreamError } from '../provider.ts'
import { PassThroughChatStream } from './chat-stream.ts'
import { type OpenAIConnection, onlyFields } from './connection.ts'

/** Non-streamed chat: the upstream's JSON goes to the caller as text, parsed only for usage, later. */
export async function chat(
  connection: OpenAIConnection,
  request: ChatCompletionRequest,
  call: UpstreamCall,
): Promise<ChatCompletionResult> {
  const body = JSON.stringify({ ...onlyFields(request, connection.fields.chat), model: connection.model })
  const text = await connection.postText('/chat/completions', body, call.signal)
  const rewrite = modelRewriter(connection.model, call.alias)
  return new CompletionText(rewrite === null ? text : rewrite(text))
}

/**
 * Streamed chat, passed through. Usage is always asked for (the router needs it for the ledger)
 * and the usage chunk removed from what the caller gets unless it asked too.
 */
export async function chatStream(
  connection: OpenAIConnection,
  request: ChatCompletionRequest,
  call: UpstreamCall,
): Promise<ChatStream> {
  const body = JSON.stringify({
    ...onlyFields(request, connection.fields.chat),
    model: connection.model,
    stream: true,
    stream_options: { ...request.stream_options, include_usage: true },
  })
  const response = await connection.post('/chat/completions', body, call.signal)
  return new PassThroughChatStream(response, call.signal, bytesRewriter(connection.model, call.alias))
}

interface CompletionLike {
  usage?: Usage | null
  choices?: {
    message?: { content?: string | null; tool_calls?: { function?: { name?: string; arguments?: string } }[] }
  }[]
}

class CompletionText implements ChatCompletionResult {
  readonly body: string
  #parsed: CompletionLike | undefined

  constructor(body: string) {
    // A 200 that is not a JSON object (a proxy's HTML page) must not reach a caller as a completion.
    if (body.charCodeAt(0) !== 0x7b)
      throw new UpstreamError('protocol', 'the upstream answered 200 without a JSON object')
    this.body = body
  }

  #json(): CompletionLike {
    if (this.#parsed === undefined) {
      try {
        this.#parsed = JSON.parse(this.body) as CompletionLike
      } catch {
        this.#parsed = {}
      }
    }
    return this.#parsed
  }

  usage(): Usage | null {
    return this.#json().usage ?? null
  }

  completionText(): string {
    let text = ''
    for (const choice of this.#json().choices ?? []) {
      if (typeof choice.message?.content === 'string') text += choice.message.content
      for (const c of choice.message?.tool_calls ?? [])
        text += `${c.function?.name ?? ''}${c.function?.arguments ?? ''}`
    }
    return text
  }
}
