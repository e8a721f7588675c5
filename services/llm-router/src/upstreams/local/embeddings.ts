// Embeddings from the local model's embedding context, L2-normalized as OpenAI's are. An embedding
// model (all-MiniLM-L6-v2 from scripts/fetch-model.sh, bge, nomic-embed) pools its tokens as its
// GGUF says (mean, CLS); a chat model (Gemma 3 270M) gives vectors that work but retrieve worse.
// A request's inputs are embedded one after another in one turn of the context: node-llama-cpp's
// embedding context evaluates one sequence, so a batch is one lease, not one llama.cpp batch.
import type { EmbeddingsRequest } from '@switchyard/contracts'
import type { Token } from 'node-llama-cpp'
import type { EmbeddingsResult, UpstreamCall } from '../provider.ts'
import { UpstreamError } from '../provider.ts'
import type { LocalEngine } from './engine.ts'
import { vocabularySize } from './translate.ts'

function inputsOf(input: EmbeddingsRequest['input']): (string | Token[])[] {
  if (typeof input === 'string') return [input]
  if (input.length > 0 && typeof input[0] === 'number') return [input as Token[]]
  return input as (string | Token[])[]
}

function normalized(vector: readonly number[]): number[] {
  let sum = 0
  for (const value of vector) sum += value * value
  const norm = Math.sqrt(sum)
  return norm === 0 ? [...vector] : vector.map((value) => value / norm)
}

/**
 * The input, or its first tokens when it is longer than `limit` as the context evaluates it (the
 * special tokens the context adds, [CLS] and [SEP] or a BOS, still fit).
 */
export function cutToFit<T>(
  input: string | T[],
  limit: number,
  measure: (input: string | T[]) => number,
  tokenize: (text: string) => T[],
): string | T[] {
  let length = measure(input)
  if (length <= limit) return input
  let tokens = typeof input === 'string' ? tokenize(input) : input
  // Each pass drops the excess; a second is needed only when the cut removed a special token the
  // caller's ids ended with, which the context then adds back.
  while (length > limit) {
    tokens = tokens.slice(0, Math.max(0, tokens.length - (length - limit)))
    length = measure(tokens)
  }
  return tokens
}

export async function embeddings(
  engine: LocalEngine,
  request: EmbeddingsRequest,
  call: UpstreamCall,
): Promise<EmbeddingsResult> {
  const embedder = await engine.embedder(call.signal)
  const { model } = embedder.context
  const size = model.embeddingVectorSize
  if (request.dimensions !== undefined && request.dimensions !== size)
    throw new UpstreamError(
      'bad_request',
      `this model embeds in ${size} dimensions; dimensions=${request.dimensions} is not supported`,
    )
  const inputs = inputsOf(request.input)
  const tokenInputs = inputs.filter((input) => typeof input !== 'string')
  if (tokenInputs.length > 0) {
    const known = vocabularySize(model)
    if (tokenInputs.some((tokens) => tokens.some((token) => token >= known)))
      throw new UpstreamError(
        'bad_request',
        `input holds token ids this model does not have (it has ${known})`,
      )
  }
  // node-llama-cpp refuses an input that fills the whole context.
  const limit = embedder.contextSize - 1
  const measure = (input: string | Token[]) => embedder.context.calculateInputLength(input)
  const fitted = engine.options.embeddingTruncate
    ? inputs.map((input) => cutToFit(input, limit, measure, (text) => model.tokenize(text)))
    : inputs
  const lengths = fitted.map(measure)
  const longest = Math.max(...lengths)
  if (longest > limit) {
    throw new UpstreamError(
      'context_length',
      `This model's maximum context length is ${limit} tokens, however you requested ${longest} tokens in one input.`,
      { upstreamCode: 'context_length_exceeded' },
    )
  }
  const base64 = request.encoding_format === 'base64'
  const data: { object: 'embedding'; index: number; embedding: number[] | string }[] = []
  const context = await embedder.turns.acquire(call.signal)
  try {
    for (const [index, input] of fitted.entries()) {
      if (call.signal.aborted) throw call.signal.reason
      const { vector: raw } = await context.getEmbeddingFor(input)
      // node-llama-cpp answers an input with no tokens (blank text, for a WordPiece vocabulary) with no vector.
      if (raw.length === 0)
        throw new UpstreamError(
          'bad_request',
          `input ${index} has no tokens for this model: nothing to embed`,
        )
      const vector = normalized(raw)
      data.push({
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      })
    }
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason
    if (error instanceof UpstreamError) throw error
    throw new UpstreamError('server', `local embedding failed: ${(error as Error).message}`, { cause: error })
  } finally {
    embedder.turns.release(context)
  }
  const promptTokens = lengths.reduce((a, b) => a + b, 0)
  const body = JSON.stringify({
    object: 'list',
    data,
    model: call.alias,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  })
  return { body, promptTokens: () => promptTokens }
}
