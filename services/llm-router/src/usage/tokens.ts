// Token counting for upstreams that report no usage. The tokenizer (o200k, a few MB of ranks) is
// loaded on first need, never at start and never on the request path: counting happens after the
// response was sent, except for a usage chunk the caller asked for.
import type { ChatCompletionRequest, ChatMessage, EmbeddingsRequest, Usage } from '@switchyard/contracts'

type Count = (text: string) => number

/** What a request's prompt is made of: chat messages, or an embeddings input. */
export type Prompt =
  | {
      readonly messages: readonly ChatMessage[]
      /** Tool definitions and a JSON schema: the model reads them as prompt too. */
      readonly tools?: ChatCompletionRequest['tools']
      readonly response_format?: ChatCompletionRequest['response_format']
    }
  | { readonly input: EmbeddingsRequest['input'] }

/** Where the tokens of an answer come from: the upstream's usage, else counted text. */
export interface TokenSource {
  /** Reported counts, or null. */
  usage(): Usage | null
  /** What was generated (counted when usage() is null). */
  completionText(): string
}

let loading: Promise<Count> | undefined
const noSpecial = { disallowedSpecial: new Set<string>() }

export function tokenCounter(): Promise<Count> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then(
    (module) => (text: string) => (text === '' ? 0 : module.countTokens(text, noSpecial)),
  )
  return loading
}

/**
 * The usage of an answer to `prompt`: the upstream's, at once, when it reported one (the common
 * case, so the report stays synchronous); else counted with the tokenizer.
 */
export function usageOf(prompt: Prompt, answer: TokenSource): Usage | Promise<Usage> {
  const reported = answer.usage()
  if (reported !== null) return reported
  return tokenCounter().then((count) => {
    const input = 'messages' in prompt ? count(promptText(prompt.messages)) : countInput(count, prompt.input)
    const output = count(answer.completionText())
    return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output }
  })
}

/** The text of every message, as the model reads it (roles and tool calls included). */
export function promptText(messages: readonly ChatMessage[]): string {
  let text = ''
  for (const message of messages) {
    text += `${message.role}\n`
    const content = message.content
    if (typeof content === 'string') text += content
    else if (Array.isArray(content))
      for (const part of content) if (part.type === 'text') text += (part as { text: string }).text
    if (message.role === 'assistant')
      for (const call of message.tool_calls ?? []) text += call.function.name + call.function.arguments
    text += '\n'
  }
  return text
}

/**
 * The admission estimate, free of a tokenizer: characters / 4, rounded up (token ids one each),
 * over everything the model reads: messages, their media (`estimatePromptTokens`), tool definitions
 * and a response's JSON schema (as JSON text).
 */
export function estimateTokens(prompt: Prompt): number {
  if ('messages' in prompt) {
    let tokens = estimatePromptTokens(prompt.messages)
    // Serialisable: kit's validator bounds a body's nesting (SWITCHYARD_MAX_JSON_DEPTH).
    if (prompt.tools !== undefined) tokens += Math.ceil(JSON.stringify(prompt.tools).length / 4)
    const format = prompt.response_format
    if (format?.type === 'json_schema') tokens += Math.ceil(JSON.stringify(format.json_schema).length / 4)
    return tokens
  }
  const { text, tokenIds } = embeddingInputText(prompt.input)
  return tokenIds + Math.ceil(text.length / 4)
}

/**
 * Text and tool calls at characters / 4; an image at `imageTokens`; audio at one token per
 * `audioBytesPerToken` bytes; a file's bytes as if they were text.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0
  let media = 0
  for (const message of messages) {
    const content = message.content
    if (typeof content === 'string') chars += content.length
    else if (Array.isArray(content))
      for (const part of content) {
        if (part.type === 'text') chars += part.text.length
        else if (part.type === 'refusal') chars += part.refusal.length
        else if (part.type === 'image_url')
          media += part.image_url.detail === 'low' ? imageTokens.low : imageTokens.high
        else if (part.type === 'input_audio')
          media += Math.ceil(base64Bytes(part.input_audio.data) / audioBytesPerToken)
        else if (part.type === 'file') chars += base64Bytes(part.file.file_data ?? '')
      }
    if (message.role === 'assistant')
      for (const call of message.tool_calls ?? [])
        chars += call.function.name.length + call.function.arguments.length
  }
  return Math.ceil(chars / 4) + media
}

/** Bytes of audio per prompt token: about 10 tokens a second of 128 kb/s MP3 (16 000 bytes). */
export const audioBytesPerToken = 1_600

const base64Bytes = (data: string) => Math.floor((data.length * 3) / 4)

/** Token ids given as such count one each; text is counted. */
function countInput(count: Count, input: EmbeddingsRequest['input']): number {
  const { text, tokenIds } = embeddingInputText(input)
  return tokenIds + count(text)
}

function embeddingInputText(input: EmbeddingsRequest['input']): { text: string; tokenIds: number } {
  if (typeof input === 'string') return { text: input, tokenIds: 0 }
  let text = ''
  let tokenIds = 0
  for (const item of input) {
    if (typeof item === 'string') text += `${item}\n`
    else if (typeof item === 'number') tokenIds++
    else tokenIds += item.length
  }
  return { text, tokenIds }
}

/**
 * Prompt tokens reserved per image part, before the upstream counts them: OpenAI's figures for a
 * `low` detail image (85) and for a 1024×1024 one at `high` or `auto` detail (765).
 */
export const imageTokens = { low: 85, high: 765 } as const
