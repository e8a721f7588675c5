// A tiny llama-architecture GGUF that llama.cpp (node-llama-cpp) loads in milliseconds and that
// answers predictably, so tests can assert on the text and not only on "some tokens came out".
//
// How it works: every attention output and FFN down projection is zero, so each layer adds nothing
// to the residual stream and the final hidden state is the last token's embedding. The logits are
// then a fixed function of the last token (a bigram table), which the embedding and output matrices
// spell out:
//   - after a lowercase letter 'a'..'y' comes the next letter; after 'z' comes <|im_end|> (EOS);
//   - after any other token comes 'a'.
// So a ChatML prompt (it ends in "assistant\n") is answered with the alphabet, 26 tokens, then EOS,
// and a prompt ending in 'w' is continued "xyz". The winning logit leads by ~28, so the answer is
// the same at any temperature up to 2. A shared "bias" dimension ranks the rest (closing brackets
// and quotes above letters, above spaces, above EOS and raw bytes), so grammar-constrained sampling
// (JSON mode) picks short closings and ends instead of looping on whitespace. Q, K, V, gate and up
// projections are seeded pseudo-random: the attention and FFN math runs for real, it just does not
// reach the output.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { bool, encodeGguf, f32, type GgufTensor, type GgufValue, str, u32 } from './gguf-writer.ts'

export interface TinyGgufOptions {
  /** Seed of the pseudo-random projections and embedding noise. Default 1. */
  seed?: number
  /** Hidden size; at least 32 (27 bigram slots, one bias slot, the rest noise). Default 64. */
  embeddingLength?: number
  /** Transformer blocks. Default 2. */
  blockCount?: number
  /** `llama.context_length`, the trained context the file claims, tokens. Default 2048. */
  contextLength?: number
  /** `general.name`. Default "switchyard-tiny". */
  name?: string
}

/** What the tiny model answers to any ChatML prompt whose last token is not a letter. */
export const TINY_GGUF_ANSWER = 'abcdefghijklmnopqrstuvwxyz'

/** The ChatML template stored in `tokenizer.chat_template`. */
export const TINY_GGUF_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// llama.cpp's token types (llama_token_type).
const NORMAL = 1
const UNKNOWN = 2
const CONTROL = 3
const BYTE = 6

const SPECIALS = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'] as const
const BOS = 1
const EOS = 4 // <|im_end|>: ChatML ends a turn with it
/** SentencePiece writes a space as U+2581; then '!'..'~', one token per printable ASCII character. */
const CHARS = ['\u2581', ...Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i))]

/** Bigram slots: 0..25 for 'a'..'z', 26 for every other token. */
const DEFAULT_SLOT = 26
/** The dimension every embedding holds at 1, so output weights there act as a per-token bias. */
const BIAS_SLOT = 27
const NOISE_FROM = 28
/** The successor's weight in its slot: with RMS norm it leads by ~sqrt(d/2) * 5 logits. */
const LEAD = 5
const NOISE = 0.05

interface Vocabulary {
  tokens: string[]
  types: number[]
  /** The token id of each printable character, by the character ('▁' for space). */
  charId: Map<string, number>
}

function vocabulary(): Vocabulary {
  const tokens: string[] = [...SPECIALS]
  const types: number[] = [UNKNOWN, CONTROL, CONTROL, CONTROL, CONTROL]
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`)
    types.push(BYTE)
  }
  const charId = new Map<string, number>()
  for (const char of CHARS) {
    charId.set(char, tokens.length)
    tokens.push(char)
    types.push(NORMAL)
  }
  return { tokens, types, charId }
}

/** mulberry32: a small seeded PRNG, so the same options write the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function letterIndex(token: string): number {
  return token.length === 1 && token >= 'a' && token <= 'z' ? token.charCodeAt(0) - 97 : -1
}

/** How a token ranks when the bigram winner is not allowed (grammar sampling): higher is preferred. */
function bias(token: string, type: number): number {
  if (type === BYTE) return -0.4
  if (type !== NORMAL) return -0.2
  if (token === '\u2581') return -0.3
  if ('}]"'.includes(token)) return 0.2
  return 0
}

/** The tensors and metadata of the tiny model, as `encodeGguf` takes them. */
export function tinyGguf(options: TinyGgufOptions = {}): Buffer {
  const d = options.embeddingLength ?? 64
  if (!Number.isInteger(d) || d < 32 || d % 8 !== 0)
    throw new Error('embeddingLength must be a multiple of 8, at least 32')
  const blocks = options.blockCount ?? 2
  const heads = 4
  const headsKv = 2
  const headDim = d / heads
  const ff = d * 2
  const next = random(options.seed ?? 1)
  const small = (n: number, scale: number) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale)
  const ones = (n: number) => new Float32Array(n).fill(1)

  const { tokens, types, charId } = vocabulary()
  const vocab = tokens.length

  const embd = new Float32Array(vocab * d)
  const output = new Float32Array(vocab * d)
  for (let id = 0; id < vocab; id++) {
    const token = tokens[id] ?? ''
    const type = types[id] ?? NORMAL
    const letter = letterIndex(token)
    const row = id * d
    embd[row + (letter >= 0 ? letter : DEFAULT_SLOT)] = 1
    embd[row + BIAS_SLOT] = 1
    for (let k = NOISE_FROM; k < d; k++) embd[row + k] = (next() * 2 - 1) * NOISE
    output[row + BIAS_SLOT] = bias(token, type)
  }
  // The bigram table: row (next token) x slot (last token's class).
  for (let letter = 0; letter < 26; letter++) {
    const successor = letter === 25 ? EOS : (charId.get(String.fromCharCode(98 + letter)) ?? 0)
    output[successor * d + letter] = LEAD
  }
  output[(charId.get('a') ?? 0) * d + DEFAULT_SLOT] = LEAD

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [d, vocab], data: embd },
    { name: 'output_norm.weight', dims: [d], data: ones(d) },
    { name: 'output.weight', dims: [d, vocab], data: output },
  ]
  for (let b = 0; b < blocks; b++) {
    const p = `blk.${b}`
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}.attn_q.weight`, dims: [d, heads * headDim], data: small(d * heads * headDim, 0.1) },
      { name: `${p}.attn_k.weight`, dims: [d, headsKv * headDim], data: small(d * headsKv * headDim, 0.1) },
      { name: `${p}.attn_v.weight`, dims: [d, headsKv * headDim], data: small(d * headsKv * headDim, 0.1) },
      // Zero: the block adds nothing to the residual stream (see the top of this file).
      {
        name: `${p}.attn_output.weight`,
        dims: [heads * headDim, d],
        data: new Float32Array(heads * headDim * d),
      },
      { name: `${p}.ffn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}.ffn_gate.weight`, dims: [d, ff], data: small(d * ff, 0.1) },
      { name: `${p}.ffn_up.weight`, dims: [d, ff], data: small(d * ff, 0.1) },
      { name: `${p}.ffn_down.weight`, dims: [ff, d], data: new Float32Array(ff * d) },
    )
  }

  const metadata = new Map<string, GgufValue>([
    ['general.architecture', str('llama')],
    ['general.name', str(options.name ?? 'switchyard-tiny')],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(0)], // all F32
    ['llama.context_length', u32(options.contextLength ?? 2048)],
    ['llama.embedding_length', u32(d)],
    ['llama.block_count', u32(blocks)],
    ['llama.feed_forward_length', u32(ff)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(headsKv)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.vocab_size', u32(vocab)],
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', items: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', items: tokens.map(() => 0) }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', items: types }],
    ['tokenizer.ggml.bos_token_id', u32(BOS)],
    ['tokenizer.ggml.eos_token_id', u32(EOS)],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.add_bos_token', bool(true)],
    ['tokenizer.ggml.add_eos_token', bool(false)],
    ['tokenizer.ggml.add_space_prefix', bool(false)],
    ['tokenizer.chat_template', str(TINY_GGUF_CHAT_TEMPLATE)],
  ])
  return encodeGguf(metadata, tensors)
}

/** Writes the tiny model to `path` (parent folders created) and returns the path. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, tinyGguf(options))
  return path
}
