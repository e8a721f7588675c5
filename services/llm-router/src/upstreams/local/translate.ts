// An OpenAI chat request as node-llama-cpp's chat history and generation options. What a local
// model cannot do (images, audio, tools, n > 1, logprobs) is refused as the caller's error, before
// any token is evaluated; so is a prompt that does not fit the context with room for the answer.
import type { ChatCompletionRequest, ChatMessage } from '@switchyard/contracts'
import {
  type ChatHistoryItem,
  type LLamaContextualRepeatPenalty,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
  TokenBias,
} from 'node-llama-cpp'
import { UpstreamError } from '../provider.ts'
import type { LoadedModel } from './engine.ts'

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

function historyItem(message: ChatMessage): ChatHistoryItem {
  if (message.role === 'system' || message.role === 'developer')
    return { type: 'system', text: textOf(message.content) }
  if (message.role === 'user') return { type: 'user', text: textOf(message.content) }
  if (message.role === 'tool' || (message.tool_calls?.length ?? 0) > 0)
    throw refuse('the local provider does not call tools')
  return { type: 'model', response: [textOf(message.content)] }
}

/** OpenAI messages as chat history items; the last item is the model's answer, empty when not begun. */
export function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history = messages.map(historyItem)
  // A trailing assistant message is an answer to continue (prefill); otherwise one is begun.
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
  if ((request.tools?.length ?? 0) > 0 && request.tool_choice !== 'none')
    throw refuse('the local provider does not call tools')

  const history = toHistory(request.messages)
  const { contextText } = loaded.chatWrapper.generateContextState({ chatHistory: history })
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

  const format = request.response_format
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
  return { history, promptTokens, maxTokens: asked ?? room, generate }
}
