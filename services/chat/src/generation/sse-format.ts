import type { ServerSentEvent } from '@switchyard/kit'
import type { ChatEvent } from './event-log.ts'

/** Turns one logged event into what a client receives; one event may become several, or none. */
export type EventFormatter = (event: ChatEvent) => ServerSentEvent[]

/** The SSE id of an event: `<messageId>:<seq>`, what a client sends back as Last-Event-ID. */
export const eventId = (messageId: string, seq: number) => `${messageId}:${seq}`

/**
 * Chat's own typed events: `message.start`, `message.delta`, `usage`, `done`, `error`, and an agent
 * run's `run.start`, `route`, `tool.call`, `tool.result`, `approval.required`.
 */
export function nativeFormat(messageId: string): EventFormatter {
  return (event) => [{ id: eventId(messageId, event.seq), event: event.event, data: event.data }]
}

/**
 * The OpenAI shape, for clients that already parse chat completions: `chat.completion.chunk`
 * data events (role first, then content deltas, the usage chunk, the finish chunk), then
 * `data: [DONE]`; a failure is an in-band `{ "error": ... }` event without `[DONE]`, as the
 * llm-router sends it. Ids stay `<messageId>:<seq>`, so these streams resume the same way.
 */
export function openaiFormat(messageId: string, model: string, createdMs: number): EventFormatter {
  const base = {
    id: `chatcmpl-${messageId}`,
    object: 'chat.completion.chunk',
    created: Math.floor(createdMs / 1000),
    model,
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })
  return (event) => {
    const id = eventId(messageId, event.seq)
    const data = event.data
    switch (event.event) {
      case 'message.start':
        return [{ id, data: chunk({ role: 'assistant', content: '' }, null) }]
      case 'message.delta':
        return [{ id, data: chunk({ content: data.delta }, null) }]
      case 'usage': {
        const input = Number(data.inputTokens)
        const output = Number(data.outputTokens)
        return [
          {
            id,
            data: {
              ...base,
              choices: [],
              usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
            },
          },
        ]
      }
      case 'done':
        // A stopped answer ends as a normal one would: the client asked for it.
        return [{ id, data: chunk({}, String(data.finishReason ?? 'stop')) }, { data: '[DONE]' }]
      case 'error':
        return [{ id, data: { error: data.error } }]
      default:
        // An agent run's story (tool calls, approvals) has no chunk shape: the answer's text does.
        return []
    }
  }
}

/** `?format=openai`, or `format=openai` as a parameter of the Accept header. */
export function wantsOpenAIFormat(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'openai'
  return /(?:^|[;,\s])format=openai(?:$|[;,\s])/.test(accept ?? '')
}
