import type OpenAI from 'openai'
import type { SearchHit } from '../search.ts'
import { type Caller, type Retrieval, retrieve, type SearchableStore, type SearchDeps } from '../service.ts'
import { type Citation, CitationFilter, type Source } from './citations.ts'
import { answerMessages } from './prompt.ts'
import type { Answer, AnswerRequest } from './schemas.ts'

export interface AnswerDeps extends SearchDeps {
  /** The official client on the llm-router, carrying the caller's token. */
  llm(token: string): OpenAI
}

/** The router's local model alias, when the request names none. */
export const defaultAnswerModel = 'local'
const defaultSources = 5

/** What an answer streams, in order: retrieval, then deltas and citations, then usage. */
export type AnswerEvent =
  | { event: 'retrieval'; data: { sources: Answer['sources'] } }
  | { event: 'delta'; data: { text: string } }
  | { event: 'citation'; data: Citation }
  | { event: 'usage'; data: NonNullable<Answer['usage']> }

/**
 * Retrieves the store's best chunks for the question, asks the model to answer from them, and
 * yields what the caller sees: every citation checked against its chunk (an invented one never
 * shows), the text with verified markers as [n].
 */
export async function* answerQuestion(
  deps: AnswerDeps,
  caller: Caller,
  store: SearchableStore,
  body: AnswerRequest,
  signal: AbortSignal,
): AsyncGenerator<AnswerEvent> {
  const retrieval: Retrieval = {
    queries: [body.question],
    mode: 'hybrid',
    limit: body.max_num_results ?? defaultSources,
    scoreThreshold: 0,
  }
  const hits = await retrieve(deps, caller, store, retrieval)
  yield { event: 'retrieval', data: { sources: hits.map(sourceView) } }
  const filter = new CitationFilter(hits.map(toSource))
  const stream = await deps.llm(caller.token).chat.completions.create(
    {
      model: body.model ?? defaultAnswerModel,
      messages: answerMessages(body.question, hits),
      ...(body.max_tokens !== undefined && { max_tokens: body.max_tokens }),
      stream: true,
      stream_options: { include_usage: true },
    },
    { signal },
  )
  let usage: Answer['usage'] = null
  for await (const chunk of stream) {
    if (chunk.usage) usage = pickUsage(chunk.usage)
    const piece = chunk.choices[0]?.delta?.content
    if (piece) yield* shown(filter.push(piece))
  }
  yield* shown(filter.end())
  if (usage !== null) yield { event: 'usage', data: usage }
}

/** The whole answer at once (`stream: false`). */
export async function answerWhole(
  deps: AnswerDeps,
  caller: Caller,
  store: SearchableStore,
  body: AnswerRequest,
  signal: AbortSignal,
): Promise<Answer> {
  const answer: Answer = {
    object: 'vector_store.answer',
    model: body.model ?? defaultAnswerModel,
    answer: '',
    citations: [],
    sources: [],
    usage: null,
  }
  for await (const e of answerQuestion(deps, caller, store, body, signal)) {
    if (e.event === 'retrieval') answer.sources = e.data.sources
    else if (e.event === 'delta') answer.answer += e.data.text
    else if (e.event === 'citation') answer.citations.push(e.data)
    else answer.usage = e.data
  }
  return answer
}

function* shown(out: { text: string; citations: Citation[] }): Generator<AnswerEvent> {
  if (out.text !== '') yield { event: 'delta', data: { text: out.text } }
  for (const citation of out.citations) yield { event: 'citation', data: citation }
}

function toSource(hit: SearchHit): Source {
  return {
    fileId: hit.file_id,
    filename: hit.filename,
    chunkId: hit.chunk_id,
    chunkIndex: hit.chunk_index,
    charStart: hit.char_start,
    text: hit.text,
  }
}

function sourceView(hit: SearchHit, i: number): Answer['sources'][number] {
  return {
    source: i + 1,
    file_id: hit.file_id,
    filename: hit.filename,
    chunk_id: hit.chunk_id,
    chunk_index: hit.chunk_index,
    char_start: hit.char_start,
    char_end: hit.char_end,
    score: hit.score,
  }
}

function pickUsage(usage: OpenAI.CompletionUsage): NonNullable<Answer['usage']> {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.total_tokens,
  }
}
