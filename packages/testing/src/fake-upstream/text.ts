// Deterministic "model": tokens are whitespace-separated words, replies echo the prompt, embeddings
// hash words into a normalised vector. Tests import these to compute the numbers they expect.

/** A chat message reduced to what the fakes look at: its role and its text. */
export interface FakeMessage {
  role: string
  content: string
}

/** What a reply function sees, the same for the OpenAI and the Ollama fake. */
export interface FakeChatInput {
  model: string
  messages: FakeMessage[]
  /** Text of the last `user` message ('' when there is none). */
  lastUserText: string
}

const WORD = /\S+/g

/** Token count of a text as both fakes report it: the number of whitespace-separated words. */
export function countTokens(text: string): number {
  return text.match(WORD)?.length ?? 0
}

/** Prompt tokens of a conversation: the sum of its messages' word counts. */
export function countPromptTokens(messages: readonly FakeMessage[]): number {
  let n = 0
  for (const m of messages) n += countTokens(m.content)
  return n
}

/**
 * Splits a text into one piece per token, each word with the whitespace before it, so the pieces
 * concatenate back to the text exactly (trailing whitespace rides on the last piece).
 */
export function splitTokens(text: string): string[] {
  const pieces = text.split(/(?<=\S)(?=\s)/)
  const last = pieces.at(-1)
  if (pieces.length > 1 && last !== undefined && countTokens(last) === 0) {
    pieces.pop()
    pieces[pieces.length - 1] += last
  }
  return countTokens(text) === 0 ? [] : pieces
}

/** The default reply: `echo: <last user message>`. */
export function defaultReply(input: FakeChatInput): string {
  return `echo: ${input.lastUserText}`.trimEnd()
}

/** Repeats or cuts a text's words to exactly `tokens` words (joined by single spaces). */
export function fitTokens(text: string, tokens: number): string {
  const words = text.match(WORD) ?? ['ok']
  const out: string[] = []
  for (let i = 0; i < tokens; i++) out.push(words[i % words.length] as string)
  return out.join(' ')
}

/** Plain text of an OpenAI/Ollama message content: a string, or the text parts of an array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  let text = ''
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      text += (text ? ' ' : '') + (part as { text: string }).text
    }
  }
  return text
}

/** Normalises request messages into `FakeChatInput`. */
export function chatInput(model: string, rawMessages: unknown): FakeChatInput {
  const messages: FakeMessage[] = []
  let lastUserText = ''
  if (Array.isArray(rawMessages)) {
    for (const m of rawMessages) {
      if (!m || typeof m !== 'object') continue
      const { role, content } = m as { role?: unknown; content?: unknown }
      const message = { role: typeof role === 'string' ? role : 'user', content: contentText(content) }
      messages.push(message)
      if (message.role === 'user') lastUserText = message.content
    }
  }
  return { model, messages, lastUserText }
}

// FNV-1a, 32 bits: fast, stable across runs and platforms.
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * The embedding both fakes return for a text: each lower-cased word adds ±1 to one of `dimensions`
 * buckets (feature hashing), then the vector is scaled to unit length and rounded to float32 (what
 * base64 transport carries), so texts sharing words are close in cosine distance. A text without
 * words maps to the first basis vector.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0)
  const words = text.toLowerCase().match(WORD)
  if (!words) {
    v[0] = 1
    return v
  }
  for (const w of words) {
    const h = hash32(w, 0)
    const i = h % dimensions
    v[i] = (v[i] as number) + (hash32(w, 1) & 1 ? 1 : -1)
  }
  let norm = 0
  for (const x of v) norm += x * x
  // Every word may have cancelled out; fall back to the basis vector rather than divide by zero.
  if (norm === 0) {
    v[0] = 1
    return v
  }
  const scale = 1 / Math.sqrt(norm)
  for (let i = 0; i < dimensions; i++) v[i] = Math.fround((v[i] as number) * scale)
  return v
}

/** Little-endian float32 base64, the OpenAI `encoding_format: 'base64'` wire form. */
export function embeddingToBase64(vector: readonly number[]): string {
  return Buffer.from(Float32Array.from(vector).buffer).toString('base64')
}

type Schema = Record<string, unknown>

/**
 * A value valid against a (JSON Schema subset) schema: objects get every property, strings the
 * given text, numbers 0 or `minimum`, arrays one item, enums and consts their first value; `$ref`
 * into `$defs`/`definitions` and `anyOf`/`oneOf` (first branch) are followed.
 */
export function sampleFromSchema(schema: unknown, text: string, root: unknown = schema, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return text
  const s = schema as Schema
  if ('const' in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if (typeof s.$ref === 'string') {
    const target = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], root)
    return sampleFromSchema(target, text, root, depth + 1)
  }
  const branch = (Array.isArray(s.anyOf) && s.anyOf[0]) || (Array.isArray(s.oneOf) && s.oneOf[0])
  if (branch) return sampleFromSchema(branch, text, root, depth + 1)
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const props = (s.properties ?? {}) as Record<string, unknown>
      for (const key of Object.keys(props)) out[key] = sampleFromSchema(props[key], text, root, depth + 1)
      return out
    }
    case 'array':
      return [sampleFromSchema(s.items, text, root, depth + 1)]
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0
    case 'boolean':
      return true
    case 'null':
      return null
    case 'string':
      return text
    default:
      return s.properties ? sampleFromSchema({ ...s, type: 'object' }, text, root, depth + 1) : text
  }
}

/**
 * Makes a reply valid JSON: a reply that already parses (to an object, without a schema) is kept; otherwise a schema (when given)
 * is filled with the reply text, or the text is wrapped as `{"reply": text}`.
 */
export function jsonReply(reply: string, schema: unknown): string {
  try {
    const parsed: unknown = JSON.parse(reply)
    // json_object mode promises an object; a bare scalar does not count.
    if (schema || (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))) return reply
  } catch {}
  return JSON.stringify(schema ? sampleFromSchema(schema, reply) : { reply })
}
