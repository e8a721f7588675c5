import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions'
import type { LoopContext, LoopDeps } from './progress.ts'
import { runErrorCodes } from './progress.ts'
import type { RunError } from './run.ts'

export interface Turn {
  content: string
  toolCalls: ChatCompletionMessageFunctionToolCall[]
  inputTokens: number
  outputTokens: number
  finishReason: string | null
}

export interface TurnOptions {
  tools: ChatCompletionTool[]
  tokensLeft: number
  /** A JSON schema the answer must match (`response_format: json_schema`), or null for free text. */
  format: { name: string; schema: Record<string, unknown> } | null
  /** Log the answer's text as `message.delta` events (not for a plan: it is not the answer). */
  deltas: boolean
}

/** One streamed model call: content deltas go out as `message.delta`, tool calls are assembled. */
export async function modelTurn(
  ctx: LoopContext,
  deps: LoopDeps,
  messages: ChatCompletionMessageParam[],
  options: TurnOptions,
): Promise<Turn> {
  const { run, events } = ctx
  const token = await deps.sign(run.identity)
  const stream = await deps.llm(token).chat.completions.create(
    {
      model: run.agent.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(options.tools.length > 0 && {
        tools: options.tools,
        ...toolChoiceOf(run.agent.toolChoice, messages, options.tools),
      }),
      ...(options.tokensLeft < 4096 && { max_tokens: options.tokensLeft }),
      ...(options.format !== null && {
        response_format: { type: 'json_schema', json_schema: options.format },
      }),
    },
    { signal: ctx.signal },
  )
  let content = ''
  const calls: ChatCompletionMessageFunctionToolCall[] = []
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined
  let finishReason: string | null = null
  for await (const chunk of stream) {
    const choice = chunk.choices[0]
    const delta = choice?.delta
    if (delta?.content) {
      content += delta.content
      if (options.deltas) void events.append('message.delta', { runId: run.id, delta: delta.content })
    }
    for (const part of delta?.tool_calls ?? []) {
      const call = calls[part.index] ?? { id: '', type: 'function', function: { name: '', arguments: '' } }
      calls[part.index] = call
      if (part.id) call.id = part.id
      if (part.function?.name) call.function.name += part.function.name
      if (part.function?.arguments) call.function.arguments += part.function.arguments
    }
    if (choice?.finish_reason) finishReason = choice.finish_reason
    if (chunk.usage) usage = chunk.usage
  }
  // An abort may also just end the body early (the in-process transport does): not an answer.
  if (ctx.signal.aborted) throw ctx.signal.reason
  const toolCalls = calls
    .filter(Boolean)
    .map((c, i) => (c.id === '' ? { ...c, id: `call_${run.turns}_${i}` } : c))
  return {
    content,
    toolCalls,
    // Without usage from the router, about four characters a token.
    inputTokens: usage?.prompt_tokens ?? Math.ceil(JSON.stringify(messages).length / 4),
    outputTokens:
      usage?.completion_tokens ?? Math.ceil((content.length + JSON.stringify(toolCalls).length) / 4),
    finishReason,
  }
}

/**
 * The agent's tool_choice for a turn that answers a message; `auto` (left out) for a turn after a
 * tool result, so the model can answer, for a named tool the run no longer has, and for a run
 * stored before agents had a tool_choice (undefined).
 */
function toolChoiceOf(
  choice: string | undefined,
  messages: ChatCompletionMessageParam[],
  tools: ChatCompletionTool[],
): { tool_choice?: ChatCompletionToolChoiceOption } {
  if (choice === undefined || choice === 'auto' || messages.at(-1)?.role === 'tool') return {}
  if (choice === 'required' || choice === 'none') return { tool_choice: choice }
  const offered = tools.some((t) => t.type === 'function' && t.function.name === choice)
  return offered ? { tool_choice: { type: 'function', function: { name: choice } } } : {}
}

/** The openai client's errors carry the router's code and type (also for an in-band stream error). */
export function describeModelError(err: unknown): RunError {
  const e = err as { code?: unknown; type?: unknown; message?: unknown; error?: { message?: unknown } }
  return {
    code: typeof e.code === 'string' ? e.code : runErrorCodes.model,
    type: typeof e.type === 'string' ? e.type : 'server_error',
    message:
      typeof e.error?.message === 'string'
        ? e.error.message
        : typeof e.message === 'string'
          ? e.message
          : 'The model call failed',
  }
}
