// One local deployment's model, contexts and queue. Nothing is loaded until the first call needs
// it; the chat context holds `sequences` sequences (one by default: on a small CPU a second
// sequence halves the speed of both), lent to one request at a time, the rest wait in line.
import {
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
  resolveChatWrapper,
} from 'node-llama-cpp'
import type { Logger } from 'pino'
import type { Deployment } from '../../catalog/schema.ts'
import { UpstreamError } from '../provider.ts'
import { LeasePool } from './lease-pool.ts'
import { resolveModelPath } from './model-file.ts'
import type { ModelStore } from './models-store.ts'
import type { LocalOptions } from './options.ts'

export interface LoadedModel {
  llama: Llama
  model: LlamaModel
  context: LlamaContext
  /** The chat context's window, tokens: options.contextSize capped at the model's trained size. */
  contextSize: number
  sequences: LeasePool<LlamaContextSequence>
  chatWrapper: ChatWrapper
  /** The JSON grammar for `response_format: json_object`, made once. */
  jsonGrammar(): Promise<LlamaGrammar>
}

export interface Embedder {
  context: LlamaEmbeddingContext
  contextSize: number
  /** One embedding at a time: the context has one sequence. */
  turns: LeasePool<LlamaEmbeddingContext>
}

export class LocalEngine {
  readonly deployment: Deployment
  readonly options: LocalOptions
  readonly #store: ModelStore
  readonly #logger: Logger
  readonly #closing = new AbortController()
  /** Calls begun and not finished (a stream until its generation ends): close() waits for them. */
  readonly #inflight = new Set<Promise<unknown>>()
  #closed = false
  #path: string | undefined
  /** The model file, held in the store from the first call until close(). */
  #model: Promise<LlamaModel> | undefined
  #loaded: Promise<LoadedModel> | undefined
  #embedder: Promise<Embedder> | undefined

  constructor(deployment: Deployment, options: LocalOptions, store: ModelStore, logger: Logger) {
    this.deployment = deployment
    this.options = options
    this.#store = store
    this.#logger = logger.child({ deployment: deployment.id, provider: 'local' })
  }

  /**
   * Runs one call, counted in flight until it settles; refused once close() began. `hold` keeps a
   * call in flight past its promise (a stream, until its generation ends).
   */
  run<T>(work: (hold: (until: Promise<unknown>) => void) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new UpstreamError('connect', 'the local deployment is closed'))
    const track = (until: Promise<unknown>) => {
      const settled: Promise<void> = until.then(
        () => {
          this.#inflight.delete(settled)
        },
        () => {
          this.#inflight.delete(settled)
        },
      )
      this.#inflight.add(settled)
    }
    const result = work(track)
    track(result)
    return result
  }

  /** Whether the model is loaded (or loading); the health probe does not load it. */
  get started(): boolean {
    return this.#model !== undefined
  }

  /** The model, loaded once for chat and embeddings alike; a failed load is tried again next call. */
  #acquired(): Promise<LlamaModel> {
    if (this.#model === undefined) {
      const acquiring = this.#acquire()
      this.#model = acquiring
      acquiring.catch(() => {
        if (this.#model === acquiring) this.#model = undefined
      })
    }
    return this.#model
  }

  async #acquire(): Promise<LlamaModel> {
    const { options } = this
    const path = await resolveModelPath(options.modelPath, {
      modelsDir: options.modelsDir,
      download: options.download,
      huggingFaceEndpoint: options.huggingFaceEndpoint,
      logger: this.#logger,
      signal: this.#closing.signal,
    })
    try {
      const model = await this.#store.acquire(path, options.gpu, this.#logger)
      this.#path = path
      return model
    } catch (error) {
      throw new UpstreamError('connect', `could not load local model ${path}: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }

  /** The loaded model; the first caller loads it (and downloads a URI's file), the others wait. */
  loaded(signal: AbortSignal): Promise<LoadedModel> {
    if (this.#closing.signal.aborted)
      return Promise.reject(new UpstreamError('connect', 'the local deployment is closed'))
    if (this.#loaded === undefined) {
      const loading = this.#load()
      this.#loaded = loading
      loading.catch(() => {
        if (this.#loaded === loading) this.#loaded = undefined
      })
    }
    return untilAborted(this.#loaded, signal)
  }

  async #load(): Promise<LoadedModel> {
    const { options } = this
    const model = await this.#acquired()
    if (embeddingOnly(model))
      throw new UpstreamError(
        'bad_request',
        `${this.deployment.model} is an embedding model: it answers /v1/embeddings, not chat`,
      )
    try {
      const contextSize = Math.min(options.contextSize, model.trainContextSize)
      const context = await model.createContext({
        contextSize,
        sequences: options.sequences,
        threads: options.threads,
      })
      const sequences = Array.from({ length: options.sequences }, () => context.getSequence())
      const chatWrapper = resolveChatWrapper(model)
      let json: Promise<LlamaGrammar> | undefined
      return {
        llama: model.llama,
        model,
        context,
        contextSize: context.contextSize,
        sequences: new LeasePool(sequences),
        chatWrapper,
        jsonGrammar: () => {
          json ??= model.llama.getGrammarFor('json')
          return json
        },
      }
    } catch (error) {
      throw new UpstreamError(
        'connect',
        `could not create a context for ${this.#path}: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }

  /** The embedding context, made on first use; a chat model's sits beside its chat context. */
  embedder(signal: AbortSignal): Promise<Embedder> {
    if (this.#embedder === undefined) {
      const making = (async () => {
        // Not through the chat context: an embedding-only model has none.
        const model = await this.#acquired()
        const contextSize = Math.min(
          this.options.embeddingContextSize ?? this.options.contextSize,
          model.trainContextSize,
        )
        const context = await model.createEmbeddingContext({ contextSize, threads: this.options.threads })
        return { context, contextSize, turns: new LeasePool([context]) }
      })()
      this.#embedder = making
      making.catch(() => {
        if (this.#embedder === making) this.#embedder = undefined
      })
    }
    return untilAborted(this.#embedder, signal)
  }

  /** Refuses new calls, waits for those in flight, then frees the contexts and lets go of the model. */
  async close(): Promise<void> {
    this.#closed = true
    while (this.#inflight.size > 0) await Promise.all(this.#inflight)
    this.#closing.abort(new UpstreamError('connect', 'the local deployment is closed'))
    const embedder = await this.#embedder?.catch(() => undefined)
    if (embedder !== undefined) {
      await embedder.turns.close()
      await embedder.context.dispose()
    }
    const loaded = await this.#loaded?.catch(() => undefined)
    if (loaded !== undefined) {
      await loaded.sequences.close()
      await loaded.context.dispose()
    }
    await this.#model?.catch(() => undefined)
    if (this.#path !== undefined) await this.#store.release(this.#path, this.options.gpu)
    this.#path = undefined
  }
}

/**
 * Whether the model only embeds: an encoder with bidirectional attention (BERT and kin, whose GGUF
 * says `<arch>.attention.causal = false`) cannot generate text.
 */
export function embeddingOnly(model: LlamaModel): boolean {
  const { metadata } = model.fileInfo
  const forArchitecture = (metadata as unknown as Record<string, { attention?: { causal?: boolean } }>)[
    metadata.general.architecture
  ]
  return forArchitecture?.attention?.causal === false
}

/** `promise`, or the abort reason as soon as `signal` aborts (the work itself goes on for others). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
