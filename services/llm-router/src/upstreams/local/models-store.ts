// The process's llama.cpp bindings and the models loaded through them. A model file is loaded once
// however many deployments name it, and unloaded when the last of them closes.
import { getLlama, type Llama, LlamaLogLevel, type LlamaModel } from 'node-llama-cpp'
import type { Logger } from 'pino'
import type { LocalOptions } from './options.ts'

type Gpu = LocalOptions['gpu']

/**
 * One binding per backend for the whole process: it is a native library, loaded once. `build:
 * 'never'`: the prebuilt binaries shipped in @node-llama-cpp/* are used, and a machine they do not
 * fit fails with node-llama-cpp's NoBinaryFoundError instead of compiling llama.cpp at run time.
 */
const llamas = new Map<string, Promise<Llama>>()

function llamaFor(gpu: Gpu, logger: Logger): Promise<Llama> {
  const key = String(gpu)
  let llama = llamas.get(key)
  if (llama === undefined) {
    llama = getLlama({
      gpu,
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim()
        if (text === '') return
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
          logger.error({ llamaCpp: true }, text)
        else if (level === LlamaLogLevel.warn) logger.warn({ llamaCpp: true }, text)
        else logger.debug({ llamaCpp: true }, text)
      },
    })
    llamas.set(key, llama)
    llama.catch(() => llamas.delete(key))
  }
  return llama
}

interface Entry {
  refs: number
  model: Promise<LlamaModel>
}

/** Loaded models by backend and file, reference counted. */
export class ModelStore {
  readonly #entries = new Map<string, Entry>()

  /** The model in `path`, loading it if no deployment holds it yet; pair with release(). */
  acquire(path: string, gpu: Gpu, logger: Logger): Promise<LlamaModel> {
    const key = `${gpu}\u0000${path}`
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      const model = (async () => {
        const llama = await llamaFor(gpu, logger)
        const started = performance.now()
        const loaded = await llama.loadModel({ modelPath: path })
        logger.info(
          { path, ms: Math.round(performance.now() - started), trainContextSize: loaded.trainContextSize },
          'local model loaded',
        )
        return loaded
      })()
      const created: Entry = { refs: 0, model }
      entry = created
      this.#entries.set(key, created)
      // A failed load is forgotten, so the next call tries again (the file may have appeared).
      model.catch(() => {
        if (this.#entries.get(key) === created) this.#entries.delete(key)
      })
    }
    entry.refs++
    return entry.model
  }

  async release(path: string, gpu: Gpu): Promise<void> {
    const key = `${gpu}\u0000${path}`
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    entry.refs--
    if (entry.refs > 0) return
    this.#entries.delete(key)
    const model = await entry.model.catch(() => undefined)
    await model?.dispose()
  }

  /** Paths loaded or loading, for tests and diagnostics. */
  loadedPaths(): string[] {
    return [...this.#entries.keys()].map((key) => key.slice(key.indexOf('\u0000') + 1))
  }
}
