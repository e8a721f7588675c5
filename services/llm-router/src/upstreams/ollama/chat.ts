import type { ChatCompletionRequest, Usage } from '@switchyard/contracts'
import type { ChatResponse } from 'ollama'
import type { ChatCompletionResult, ChatStream, UpstreamCall } from '../provider.ts'
import { UpstreamError } from '../provider.ts'
import type { OllamaConnection } from './connection.ts'
import { completionId, finishReason, toOllamaChat, toOpenAIToolCalls, usageOf } from './translate.ts'

/** Non-streamed chat through `/api/chat`, answered as an OpenAI `chat.completion`. */
export async function chat(
  connection: OllamaConnection,
  request: ChatCompletionRequest,
  call: UpstreamCall,
): Promise<ChatCompletionResult> {
  const { deployment } = connection
  const body = toOllamaChat(request, deployment.model, deployment.options.keep_alive)
  const client = connection.client(call.signal)
  const response = await client.guard((ollama) => ollama.chat({ ...body, stream: false }))
  const toolCalls = toOpenAIToolCalls(response.message?.tool_calls, request.parallel_tool_calls !== false)
  const content = response.message?.content ?? ''
  const usage = usageOf(response)
  const completion = {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: call.alias,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 && content === '' ? null : content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(response.done_reason, toolCalls.length > 0),
      },
    ],
    ...(usage === null ? {} : { usage }),
  }
  const generated = content + toolCalls.map((c) => c.function.name + c.function.arguments).join('')
  return { body: JSON.stringify(completion), usage: () => usage, completionText: () => generated }
}

/** Streamed chat: Ollama's NDJSON objects become OpenAI chunks, one SSE event each. */
export async function chatStream(
  connection: OllamaConnection,
  request: ChatCompletionRequest,
  call: UpstreamCall,
): Promise<ChatStream> {
  const { deployment } = connection
  const body = toOllamaChat(request, deployment.model, deployment.options.keep_alive)
  const client = connection.client(call.signal)
  const parts = await client.guard((ollama) => ollama.chat({ ...body, stream: true }))
  return new TranslatedChatStream(parts, call.alias, request.parallel_tool_calls !== false, (error) =>
    client.failure(error),
  )
}

class TranslatedChatStream implements ChatStream {
  readonly #parts: AsyncIterable<ChatResponse>
  readonly #failure: (error: unknown) => unknown
  readonly #parallel: boolean
  readonly #id = completionId()
  readonly #created = Math.floor(Date.now() / 1000)
  readonly #head: string
  #usage: Usage | null = null
  #text = ''

  constructor(
    parts: AsyncIterable<ChatResponse>,
    alias: string,
    parallel: boolean,
    failure: (error: unknown) => unknown,
  ) {
    this.#parts = parts
    this.#parallel = parallel
    this.#failure = failure
    this.#head = `data: {"id":"${this.#id}","object":"chat.completion.chunk","created":${this.#created},"model":${JSON.stringify(alias)},"choices":[{"index":0,"delta":`
  }

  #event(delta: object, finish: string | null): Buffer {
    return Buffer.from(
      `${this.#head}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`,
    )
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let first = true
    let toolIndex = 0
    let done = false
    try {
      for await (const part of this.#parts) {
        const content = part.message?.content ?? ''
        // Ollama sends each call whole: one delta carries its index, id, name and arguments.
        const calls =
          this.#parallel || toolIndex === 0 ? toOpenAIToolCalls(part.message?.tool_calls, this.#parallel) : []
        if (first) {
          first = false
          yield this.#event({ role: 'assistant', content: '' }, null)
        }
        if (content !== '') {
          this.#text += content
          yield this.#event({ content }, null)
        }
        if (calls.length > 0) {
          const deltas = calls.map((call) => ({ index: toolIndex++, ...call }))
          for (const call of calls) this.#text += call.function.name + call.function.arguments
          yield this.#event({ tool_calls: deltas }, null)
        }
        if (part.done) {
          done = true
          this.#usage = usageOf(part)
          yield this.#event({}, finishReason(part.done_reason, toolIndex > 0))
        }
      }
    } catch (error) {
      throw this.#failure(error)
    }
    if (!done) throw new UpstreamError('protocol', 'the upstream stream ended before done')
  }

  usage(): Usage | null {
    return this.#usage
  }
  id(): string {
    return this.#id
  }
  created(): number {
    return this.#created
  }
  completionText(): string {
    return this.#text
  }
}
