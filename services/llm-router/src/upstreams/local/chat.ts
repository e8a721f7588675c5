// Chat on the local model, answered in OpenAI's shapes. A request waits for a free sequence of
// the context, generates with LlamaChat (the chat wrapper the model's GGUF asks for), and gives the
// sequence back; the next request on it reuses whatever prefix of the prompt is still evaluated.
import { randomUUID } from 'node:crypto'
import type { ChatCompletionRequest, Usage } from '@switchyard/contracts'
import { LlamaChat, type LlamaContextSequence } from 'node-llama-cpp'
import type { ChatCompletionResult, ChatStream, UpstreamCall } from '../provider.ts'
import { UpstreamError } from '../provider.ts'
import type { LoadedModel, LocalEngine } from './engine.ts'
import { type PreparedChat, prepareChat } from './translate.ts'

type FinishReason = 'stop' | 'length'

interface Generated {
  text: string
  finishReason: FinishReason
  /**
   * Tokens the model sampled, the end-of-turn token and a matched stop string included (as vLLM
   * counts them): the sequence's token meter, read before and after.
   */
  completionTokens: number
}

export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll('-', '')}`
}

async function generate(
  loaded: LoadedModel,
  prepared: PreparedChat,
  sequence: LlamaContextSequence,
  signal: AbortSignal,
  onText: ((text: string) => void) | undefined,
): Promise<Generated> {
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: loaded.chatWrapper })
  const before = sequence.tokenMeter.getState()
  try {
    const result = await chat.generateResponse(prepared.history, {
      ...prepared.generate,
      maxTokens: prepared.maxTokens,
      signal,
      ...(onText === undefined ? {} : { onTextChunk: (text: string) => text !== '' && onText(text) }),
    })
    if (result.metadata.stopReason === 'abort') throw signal.reason
    return {
      text: result.response,
      finishReason: result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
      completionTokens: sequence.tokenMeter.diff(before).usedOutputTokens,
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason
    throw new UpstreamError('server', `local generation failed: ${(error as Error).message}`, {
      cause: error,
    })
  } finally {
    chat.dispose({ disposeSequence: false })
  }
}

function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
}

/** Loads the model if needed, checks the request, and waits for a free sequence. */
async function start(engine: LocalEngine, request: ChatCompletionRequest, signal: AbortSignal) {
  const loaded = await engine.loaded(signal)
  const prepared = await prepareChat(request, loaded, { temperature: engine.options.temperature })
  const sequence = await loaded.sequences.acquire(signal)
  return { loaded, prepared, sequence }
}

/** A non-streamed `chat.completion`. */
export async function chat(
  engine: LocalEngine,
  request: ChatCompletionRequest,
  call: UpstreamCall,
): Promise<ChatCompletionResult> {
  const { loaded, prepared, sequence } = await start(engine, request, call.signal)
  let generated: Generated
  try {
    generated = await generate(loaded, prepared, sequence, call.signal, undefined)
  } finally {
    loaded.sequences.release(sequence)
  }
  const usage = usageOf(prepared.promptTokens, generated.completionTokens)
  const body = JSON.stringify({
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: call.alias,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: generated.text },
        logprobs: null,
        finish_reason: generated.finishReason,
      },
    ],
    usage,
  })
  return { body, usage: () => usage, completionText: () => generated.text }
}

/**
 * A streamed answer, one `chat.completion.chunk` per decoded piece of text (a token, or a few when
 * a character spans tokens). Resolves once the model is loaded, the request checked and a sequence
 * free; generation then runs ahead of the reader, and stops when the call aborts or the reader
 * stops reading.
 */
export async function chatStream(
  engine: LocalEngine,
  request: ChatCompletionRequest,
  call: UpstreamCall,
  hold: (until: Promise<unknown>) => void,
): Promise<ChatStream> {
  const { loaded, prepared, sequence } = await start(engine, request, call.signal)
  const stream = new LocalChatStream(call.alias, call.signal)
  const generation = generate(loaded, prepared, sequence, stream.signal, (text) => stream.text(text))
    .then(
      (generated) => stream.end(generated, usageOf(prepared.promptTokens, generated.completionTokens)),
      (error: unknown) => stream.fail(error),
    )
    .finally(() => loaded.sequences.release(sequence))
  hold(generation)
  return stream
}

class LocalChatStream implements ChatStream {
  readonly #id = completionId()
  readonly #created = Math.floor(Date.now() / 1000)
  readonly #head: string
  readonly #stop = new AbortController()
  /** Aborts generation: the call's signal, or the reader leaving early. */
  readonly signal: AbortSignal
  readonly #queue: Uint8Array[] = []
  #wake: (() => void) | undefined
  #ended = false
  #error: unknown
  #usage: Usage | null = null
  #text = ''
  #began = false

  constructor(alias: string, callSignal: AbortSignal) {
    this.signal = AbortSignal.any([callSignal, this.#stop.signal])
    this.#head = `data: {"id":"${this.#id}","object":"chat.completion.chunk","created":${this.#created},"model":${JSON.stringify(alias)},"choices":[{"index":0,"delta":`
  }

  #push(delta: object, finish: FinishReason | null): void {
    const event = `${this.#head}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`
    this.#queue.push(Buffer.from(event))
    this.#wake?.()
  }

  #begin(): void {
    if (this.#began) return
    this.#began = true
    this.#push({ role: 'assistant', content: '' }, null)
  }

  text(text: string): void {
    // The role goes out with the first token, not before: the router times the first event (TTFT).
    this.#begin()
    this.#text += text
    this.#push({ content: text }, null)
  }

  end(generated: Generated, usage: Usage): void {
    this.#begin()
    this.#usage = usage
    this.#push({}, generated.finishReason)
    this.#ended = true
    this.#wake?.()
  }

  fail(error: unknown): void {
    this.#error = error
    this.#ended = true
    this.#wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      while (true) {
        const next = this.#queue.shift()
        if (next !== undefined) {
          yield next
          continue
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error
          return
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
        this.#wake = undefined
      }
    } finally {
      if (!this.#ended) this.#stop.abort(new Error('the stream reader stopped'))
    }
  }

  usage(): Usage | null {
    return this.#usage
  }
  id(): string {
    return this.#id
  }
  created(): number {
    return this.#created
  }
  completionText(): string {
    return this.#text
  }
}
