// An OpenAI chat request as node-llama-cpp's chat history and generation options. What a local
// model cannot do (images, audio, n > 1, logprobs) is refused as the caller's error, before
// any token is evaluated; so is a prompt that does not fit the context with room for the answer.
import type { ChatCompletionRequest, ChatMessage } from '@switchyard/contracts'
import {
  type ChatHistoryItem,
  type ChatModelFunctionCall,
  type ChatModelResponse,
  type LLamaContextualRepeatPenalty,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
  TokenBias,
} from 'node-llama-cpp'
import { UpstreamError } from '../provider.ts'
import type { LoadedModel } from './engine.ts'
import { type ToolUse, toolUse } from './tools.ts'

/** The part of LlamaChat.generateResponse's options a request decides. */
export interface GenerateOptions {
  temperature: number
  repeatPenalty: false | LLamaContextualRepeatPenalty
  topP?: number
  seed?: number
  customStopTriggers?: string[]
  tokenBias?: TokenBias
  grammar?: LlamaGrammar
}

export interface PreparedChat {
  /** The history as the chat wrapper renders it, ending with the (empty or started) answer. */
  history: ChatHistoryItem[]
  /** Tokens of the rendered prompt: the prompt_tokens of the usage. */
  promptTokens: number
  /** Most tokens to generate: the request's limit, or what is left of the context. */
  maxTokens: number
  /** Sampling, stop strings, penalties and grammar, as LlamaChat.generateResponse takes them. */
  generate: GenerateOptions
  /** The functions the model may call, and whether it must (then there is no grammar). */
  tools: ToolUse | undefined
}

const refuse = (message: string) => new UpstreamError('bad_request', message)

function textOf(
  content: string | readonly { type: string; text?: string; refusal?: string }[] | null | undefined,
): string {
  if (content == null) return ''
  if (typeof content === 'string') return content
  return content
    .map((part) => {
      if (part.type === 'text') return part.text ?? ''
      if (part.type === 'refusal') return part.refusal ?? ''
      throw refuse(`the local provider takes text only, not ${part.type} content`)
    })
    .join('\n')
}

/** A tool message's text as the function's result: its JSON when it is JSON, else the text. */
function resultOf(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * OpenAI messages as chat history items; the last item is the model's answer, empty when not begun.
 * An assistant turn's tool calls become function calls in its response, each with the result a
 * later `role: tool` message gives for its id (node-llama-cpp keeps call and result together), and
 * an assistant message after those results continues the same response, as the model saw it.
 */
export function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = []
  const pending = new Map<string, ChatModelFunctionCall>()
  let afterCalls: ChatModelResponse | undefined
  for (const message of messages) {
    if (message.role === 'tool') {
      const call = pending.get(message.tool_call_id)
      if (call === undefined)
        throw refuse(`the tool message for ${message.tool_call_id} answers no tool call before it`)
      call.result = resultOf(textOf(message.content))
      pending.delete(message.tool_call_id)
      continue
    }
    if (pending.size > 0)
      throw refuse(`tool calls ${[...pending.keys()].join(', ')} have no tool message with their result`)
    if (message.role === 'system' || message.role === 'developer') {
      history.push({ type: 'system', text: textOf(message.content) })
      afterCalls = undefined
    } else if (message.role === 'user') {
      history.push({ type: 'user', text: textOf(message.content) })
      afterCalls = undefined
    } else {
      const response = afterCalls ?? { type: 'model', response: [] }
      if (afterCalls === undefined) history.push(response)
      const text = textOf(message.content)
      if (text !== '') response.response.push(text)
      afterCalls = undefined
      for (const toolCall of message.tool_calls ?? []) {
        const call: ChatModelFunctionCall = {
          type: 'functionCall',
          name: toolCall.function.name,
          params: resultOf(toolCall.function.arguments),
          result: undefined,
        }
        response.response.push(call)
        pending.set(toolCall.id, call)
        afterCalls = response
      }
    }
  }
  if (pending.size > 0)
    throw refuse(`tool calls ${[...pending.keys()].join(', ')} have no tool message with their result`)
  // A trailing assistant message (or tool results) is an answer to continue; otherwise one is begun.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] })
  return history
}

const vocabularySizes = new WeakMap<LlamaModel, number>()

/** How many tokens the model knows (counted once per model: node-llama-cpp does not expose it). */
export function vocabularySize(model: LlamaModel): number {
  let size = vocabularySizes.get(model)
  if (size === undefined) {
    size = 0
    for (const _ of model.iterateAllTokens()) size++
    vocabularySizes.set(model, size)
  }
  return size
}

function tokenBias(model: LlamaModel, bias: Record<string, number>): TokenBias {
  const result = new TokenBias(model.tokenizer)
  const size = vocabularySize(model)
  for (const [key, value] of Object.entries(bias)) {
    const token = Number(key)
    if (!Number.isInteger(token) || token < 0 || token >= size)
      throw refuse(`logit_bias: ${key} is not a token id of this model (0 to ${size - 1})`)
    // OpenAI: -100 bans a token; other values are added to its logit.
    result.set(token as Token, value <= -100 ? 'never' : { logit: value })
  }
  return result
}

/** Checks and translates a request; throws UpstreamError('bad_request' | 'context_length'). */
export async function prepareChat(
  request: ChatCompletionRequest,
  loaded: LoadedModel,
  defaults: { temperature: number },
): Promise<PreparedChat> {
  if ((request.n ?? 1) > 1) throw refuse('n > 1 is not supported by the local provider')
  if (request.logprobs === true) throw refuse('logprobs are not supported by the local provider')
  const tools = toolUse(request)
  const format = request.response_format
  // LlamaChat takes a grammar or functions, not both: the JSON answer comes on a turn without tools.
  if (tools !== undefined && format !== undefined && format.type !== 'text')
    throw refuse(
      'the local provider takes response_format or tools, not both: send tool_choice none (or no tools) for the structured answer',
    )

  const history = toHistory(request.messages)
  const { contextText } = loaded.chatWrapper.generateContextState({
    chatHistory: history,
    ...(tools === undefined ? {} : { availableFunctions: tools.functions, documentFunctionParams: true }),
  })
  const promptTokens = contextText.tokenize(loaded.model.tokenizer).length
  const room = loaded.contextSize - promptTokens
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined
  if (room < (asked ?? 1)) {
    throw new UpstreamError(
      'context_length',
      `This model's maximum context length is ${loaded.contextSize} tokens. However, you requested ${promptTokens + (asked ?? 1)} tokens (${promptTokens} in the messages, ${asked ?? 1} in the completion).`,
      { upstreamCode: 'context_length_exceeded' },
    )
  }

  const generate: GenerateOptions = {
    temperature: request.temperature ?? defaults.temperature,
    // OpenAI has no repetition penalty unless asked for one; llama.cpp's default is on.
    repeatPenalty:
      request.presence_penalty == null && request.frequency_penalty == null
        ? false
        : {
            penalty: 1,
            presencePenalty: request.presence_penalty ?? 0,
            frequencyPenalty: request.frequency_penalty ?? 0,
          },
  }
  if (request.top_p != null) generate.topP = request.top_p
  if (request.seed != null) generate.seed = request.seed
  if (request.stop != null) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter(
      (stop) => stop !== '',
    )
    if (stops.length > 0) generate.customStopTriggers = stops
  }
  if (request.logit_bias != null && Object.keys(request.logit_bias).length > 0)
    generate.tokenBias = tokenBias(loaded.model, request.logit_bias)

  if (
    format?.type === 'json_object' ||
    (format?.type === 'json_schema' && format.json_schema.schema === undefined)
  ) {
    generate.grammar = await loaded.jsonGrammar()
  } else if (format?.type === 'json_schema' && format.json_schema.schema !== undefined) {
    try {
      generate.grammar = await loaded.llama.createGrammarForJsonSchema(
        format.json_schema.schema as Parameters<typeof loaded.llama.createGrammarForJsonSchema>[0],
      )
    } catch (error) {
      throw refuse(`response_format.json_schema: ${(error as Error).message}`)
    }
  }
  return { history, promptTokens, maxTokens: asked ?? room, generate, tools }
}
