// Token counting for upstreams that report no usage. The tokenizer (o200k, a few MB of ranks) is
// loaded on first need, never at start and never on the request path: counting happens after the
// response was sent, except for a usage chunk the caller asked for.
import type { ChatMessage, EmbeddingsRequest, Usage } from '@switchyard/contracts'

type Count = (text: string) => number

/** What a request's prompt is made of: chat messages, or an embeddings input. */
export type Prompt =
  | { readonly messages: readonly ChatMessage[] }
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

/** Characters / 4, rounded up (token ids one each): the admission estimate, free of a tokenizer. */
export function estimateTokens(prompt: Prompt): number {
  if ('messages' in prompt) return estimatePromptTokens(prompt.messages)
  const { text, tokenIds } = embeddingInputText(prompt.input)
  return tokenIds + Math.ceil(text.length / 4)
}

export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0
  for (const message of messages) {
    const content = message.content
    if (typeof content === 'string') chars += content.length
    else if (Array.isArray(content))
      for (const part of content) if (part.type === 'text') chars += (part as { text: string }).text.length
  }
  return Math.ceil(chars / 4)
}

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
