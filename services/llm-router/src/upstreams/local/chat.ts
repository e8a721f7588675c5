// Chat on the local model, answered in OpenAI's shapes. A request waits for a free sequence of
// the context, generates with LlamaChat (the chat wrapper the model's GGUF asks for), and gives the
// sequence back; the next request on it reuses whatever prefix of the prompt is still evaluated.
import { randomUUID } from 'node:crypto'
import type { ChatCompletionRequest, Usage } from '@switchyard/contracts'
import {
  LlamaChat,
  type LlamaChatResponseFunctionCallParamsChunk,
  type LlamaContextSequence,
} from 'node-llama-cpp'
import type { ChatCompletionResult, ChatStream, UpstreamCall } from '../provider.ts'
import { UpstreamError } from '../provider.ts'
import type { LoadedModel, LocalEngine } from './engine.ts'
import { argumentsText, forcingCall, type LocalToolCall, toolCallId } from './tools.ts'
import { type PreparedChat, prepareChat } from './translate.ts'

type FinishReason = 'stop' | 'length' | 'tool_calls'

/** What a stream is told as generation goes: text, and tool calls as their arguments come. */
interface GenerationListener {
  text(text: string): void
  /** A piece of call `index`'s arguments; the first piece of a call comes with its name. */
  toolArguments(index: number, name: string, piece: string): void
}

interface Generated {
  text: string
  /** The calls the model made, ids given here (node-llama-cpp has none). */
  toolCalls: LocalToolCall[]
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
  listener: GenerationListener | undefined,
): Promise<Generated> {
  const { tools } = prepared
  const chatWrapper = tools?.force === true ? forcingCall(loaded.chatWrapper) : loaded.chatWrapper
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper })
  const before = sequence.tokenMeter.getState()
  // LlamaChat takes a grammar or functions (prepareChat never asks for both).
  const { grammar, ...sampling } = prepared.generate
  const constraint =
    tools === undefined
      ? grammar === undefined
        ? {}
        : { grammar }
      : {
          functions: tools.functions,
          documentFunctionParams: true,
          ...(listener === undefined
            ? {}
            : {
                onFunctionCallParamsChunk: (chunk: LlamaChatResponseFunctionCallParamsChunk) =>
                  listener.toolArguments(chunk.callIndex, chunk.functionName, chunk.paramsChunk),
              }),
        }
  try {
    const result = await chat.generateResponse(prepared.history, {
      ...sampling,
      ...constraint,
      maxTokens: prepared.maxTokens,
      signal,
      ...(listener === undefined
        ? {}
        : { onTextChunk: (text: string) => text !== '' && listener.text(text) }),
    })
    if (result.metadata.stopReason === 'abort') throw signal.reason
    const toolCalls = (result.functionCalls ?? []).map(
      (call): LocalToolCall => ({
        id: toolCallId(),
        type: 'function',
        function: { name: call.functionName, arguments: argumentsText(call.params) },
      }),
    )
    const { stopReason } = result.metadata
    return {
      text: result.response,
      toolCalls,
      finishReason: toolCalls.length > 0 ? 'tool_calls' : stopReason === 'maxTokens' ? 'length' : 'stop',
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
  const { text, toolCalls } = generated
  const message =
    toolCalls.length === 0
      ? { role: 'assistant', content: text }
      : { role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls }
  const body = JSON.stringify({
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: call.alias,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: generated.finishReason,
      },
    ],
    usage,
  })
  const completion = text + toolCalls.map((c) => c.function.name + c.function.arguments).join('')
  return { body, usage: () => usage, completionText: () => completion }
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
  const generation = generate(loaded, prepared, sequence, stream.signal, stream)
    .then(
      (generated) => stream.end(generated, usageOf(prepared.promptTokens, generated.completionTokens)),
      (error: unknown) => stream.fail(error),
    )
    .finally(() => loaded.sequences.release(sequence))
  hold(generation)
  return stream
}

class LocalChatStream implements ChatStream, GenerationListener {
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
  /** Calls begun so far, by node-llama-cpp's call index: their OpenAI index (the order seen) and arguments. */
  readonly #calls = new Map<number, { index: number; args: string }>()

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

  /**
   * A call's arguments as they are generated, as OpenAI streams them: the first delta of a call
   * carries its index, an id, the type and the name, the later ones pieces of `arguments`.
   * (The arguments are the text the model wrote, spaces and all; they parse to the same object
   * as the compact JSON a non-streamed answer carries.)
   */
  toolArguments(callIndex: number, name: string, piece: string): void {
    this.#begin()
    let call = this.#calls.get(callIndex)
    if (call === undefined) {
      call = { index: this.#calls.size, args: '' }
      this.#calls.set(callIndex, call)
      this.#text += name
      this.#push(
        {
          tool_calls: [
            { index: call.index, id: toolCallId(), type: 'function', function: { name, arguments: '' } },
          ],
        },
        null,
      )
    }
    if (piece === '') return
    call.args += piece
    this.#text += piece
    this.#push({ tool_calls: [{ index: call.index, function: { arguments: piece } }] }, null)
  }

  end(generated: Generated, usage: Usage): void {
    this.#begin()
    // A function without parameters is generated with no argument pieces: its call goes out here,
    // with `{}` as OpenAI sends, and so does whatever call the pieces did not announce.
    const begun = [...this.#calls.entries()]
    for (const [index, made] of generated.toolCalls.entries()) {
      const [key, call] = begun[index] ?? [-1 - index, undefined]
      if (call === undefined || call.args === '')
        this.toolArguments(key, made.function.name, made.function.arguments)
    }
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
