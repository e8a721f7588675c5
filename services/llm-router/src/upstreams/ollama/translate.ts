// OpenAI's chat shape to Ollama's native one and back. Ollama has no tool-call ids, takes tool
// arguments as objects, reports usage as prompt_eval_count / eval_count, and says why it stopped in
// done_reason.
import { randomUUID } from 'node:crypto'
import type { ChatCompletionRequest, ChatMessage, Usage } from '@switchyard/contracts'
import type { ChatRequest, Message, Options, Tool, ToolCall } from 'ollama'
import { UpstreamError } from '../provider.ts'

export function toOllamaChat(request: ChatCompletionRequest, model: string, keepAlive: unknown): ChatRequest {
  if ((request.n ?? 1) > 1)
    throw new UpstreamError('bad_request', 'n > 1 is not supported by this model (ollama)')
  const out: ChatRequest = { model, messages: toOllamaMessages(request.messages) }
  if (request.tools && request.tools.length > 0 && request.tool_choice !== 'none') {
    const only = typeof request.tool_choice === 'object' ? request.tool_choice.function.name : undefined
    out.tools = request.tools
      .filter((tool) => only === undefined || tool.function.name === only)
      .map((tool) => ({ type: 'function', function: { ...tool.function } }) as Tool)
  }
  const format = request.response_format
  if (format?.type === 'json_object') out.format = 'json'
  else if (format?.type === 'json_schema') out.format = format.json_schema.schema ?? 'json'
  const options: Partial<Options> = {}
  if (request.temperature != null) options.temperature = request.temperature
  if (request.top_p != null) options.top_p = request.top_p
  const maxTokens = request.max_completion_tokens ?? request.max_tokens
  if (maxTokens != null) options.num_predict = maxTokens
  if (request.stop != null) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop
  if (request.seed != null) options.seed = request.seed
  if (request.presence_penalty != null) options.presence_penalty = request.presence_penalty
  if (request.frequency_penalty != null) options.frequency_penalty = request.frequency_penalty
  if (Object.keys(options).length > 0) out.options = options
  if (typeof keepAlive === 'string' || typeof keepAlive === 'number') out.keep_alive = keepAlive
  return out
}

function text(content: string | { type: string; text?: string }[] | null | undefined): string {
  if (content == null) return ''
  if (typeof content === 'string') return content
  return content
    .flatMap((part) => (part.type === 'text' && part.text !== undefined ? [part.text] : []))
    .join('\n')
}

function toOllamaMessages(messages: ChatMessage[]): Message[] {
  // Ollama names the tool a result belongs to; OpenAI links it by call id.
  const toolNames = new Map<string, string>()
  return messages.map((message): Message => {
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text(message.content) }
      case 'user': {
        if (typeof message.content === 'string') return { role: 'user', content: message.content }
        const images: string[] = []
        for (const part of message.content) {
          if (part.type !== 'image_url') continue
          const match = /^data:[^;,]+;base64,(.*)$/s.exec(part.image_url.url)
          if (!match?.[1])
            throw new UpstreamError('bad_request', 'ollama takes images as base64 data: URLs only')
          images.push(match[1])
        }
        return {
          role: 'user',
          content: text(message.content as { type: string; text?: string }[]),
          ...(images.length > 0 ? { images } : {}),
        }
      }
      case 'assistant': {
        const calls: ToolCall[] = (message.tool_calls ?? []).map((call) => {
          toolNames.set(call.id, call.function.name)
          return {
            function: { name: call.function.name, arguments: parseArguments(call.function.arguments) },
          }
        })
        return {
          role: 'assistant',
          content: text(message.content as string | { type: string; text?: string }[] | null | undefined),
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        }
      }
      case 'tool': {
        const name = toolNames.get(message.tool_call_id)
        return {
          role: 'tool',
          content: text(message.content),
          ...(name === undefined ? {} : { tool_name: name }),
        }
      }
      default:
        throw new UpstreamError('bad_request', 'unknown message role')
    }
  })
}

function parseArguments(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

export type FinishReason = 'stop' | 'length' | 'tool_calls'

export function finishReason(doneReason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (sawToolCalls) return 'tool_calls'
  return doneReason === 'length' ? 'length' : 'stop'
}

/** Usage from Ollama's counts, or null when it reported none. */
export function usageOf(counts: { prompt_eval_count?: number; eval_count?: number }): Usage | null {
  if (typeof counts.prompt_eval_count !== 'number' && typeof counts.eval_count !== 'number') return null
  const prompt = counts.prompt_eval_count ?? 0
  const completion = counts.eval_count ?? 0
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

export interface OpenAIToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/**
 * Ollama's calls with ids of ours (it has none). `parallel_tool_calls: false` keeps the first
 * call only: Ollama has no such setting, and a caller that asked for one call runs one.
 */
export function toOpenAIToolCalls(calls: ToolCall[] | undefined, parallel = true): OpenAIToolCall[] {
  return (parallel ? (calls ?? []) : (calls ?? []).slice(0, 1)).map((call) => ({
    id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
  }))
}

export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`
}
