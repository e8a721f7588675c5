// Where a local deployment's GGUF is: a path as is, or a URI (hf:user/repo/file.gguf, https://...)
// that node-llama-cpp resolves in modelsDir and downloads on first use, with a progress bar on stderr.
import { access } from 'node:fs/promises'
import { resolveModelFile } from 'node-llama-cpp'
import type { Logger } from 'pino'
import { UpstreamError } from '../provider.ts'

import { isModelUri } from './options.ts'

export { isModelUri }

export interface ResolveOptions {
  modelsDir: string | undefined
  download: boolean
  huggingFaceEndpoint: string | undefined
  logger: Logger
  /** Stops waiting for a download (the deployment closed); the download itself goes on for others. */
  signal: AbortSignal
  /**
   * A download that makes no progress this long fails. node-llama-cpp's downloader retries a
   * refused or unresolvable host for about 12 minutes; this turns that into a prompt error.
   * Default 30 000 ms.
   */
  stallMs?: number
  /** Where the progress bar goes. Default process.stderr. */
  progressTo?: NodeJS.WritableStream & { isTTY?: boolean }
}

/** The GGUF's local path; downloads a URI's file when it is missing. Throws UpstreamError('connect'). */
export async function resolveModelPath(ref: string, options: ResolveOptions): Promise<string> {
  if (!isModelUri(ref)) {
    try {
      await access(ref)
    } catch {
      throw new UpstreamError(
        'connect',
        `local model file ${ref} does not exist (scripts/fetch-model.sh fetches the default one)`,
      )
    }
    return ref
  }
  const common = {
    cli: false,
    ...(options.modelsDir === undefined ? {} : { directory: options.modelsDir }),
    ...(options.huggingFaceEndpoint === undefined
      ? {}
      : { endpoints: { huggingFace: options.huggingFaceEndpoint } }),
  }
  try {
    // Already downloaded: no network at all.
    return await resolveModelFile(ref, { ...common, download: false })
  } catch (error) {
    if (!options.download)
      throw new UpstreamError(
        'connect',
        `local model ${ref} is not in ${options.modelsDir ?? 'the models directory'} and downloads are off`,
        { cause: error },
      )
  }
  return download(ref, common, options)
}

interface Download {
  promise: Promise<string>
  /** Callers waiting on it, told of every progress event (each runs its own stall timer). */
  listeners: Set<(downloaded: number) => void>
}

/**
 * Downloads in flight, by URI. node-llama-cpp's downloader does not stop on its abort signal while
 * it retries an unreachable host, so a caller gives up by racing it; the download itself is kept,
 * and the next caller joins it instead of starting another.
 */
const downloads = new Map<string, Download>()

function startDownload(
  ref: string,
  common: Parameters<typeof resolveModelFile>[1] & object,
  options: ResolveOptions,
): Download {
  const listeners = new Set<(downloaded: number) => void>()
  const bar = progressBar(ref, options.progressTo ?? process.stderr)
  const started = performance.now()
  options.logger.info({ model: ref, modelsDir: options.modelsDir }, 'downloading the local model')
  const promise = resolveModelFile(ref, {
    ...common,
    download: 'auto',
    onProgress({ totalSize, downloadedSize }) {
      bar.update(downloadedSize, totalSize)
      for (const listener of listeners) listener(downloadedSize)
    },
  }).then(
    (path) => {
      bar.done()
      options.logger.info(
        { model: ref, path, seconds: Math.round((performance.now() - started) / 1000) },
        'local model downloaded',
      )
      return path
    },
    (error: unknown) => {
      bar.done()
      throw error
    },
  )
  const download = { promise, listeners }
  downloads.set(ref, download)
  const forget = () => {
    if (downloads.get(ref) === download) downloads.delete(ref)
  }
  promise.then(forget, forget)
  return download
}

async function download(
  ref: string,
  common: Parameters<typeof resolveModelFile>[1] & object,
  options: ResolveOptions,
): Promise<string> {
  const stallMs = options.stallMs ?? 30_000
  const running = downloads.get(ref) ?? startDownload(ref, common, options)
  let timer: NodeJS.Timeout | undefined
  let downloaded = -1
  let onAbort: (() => void) | undefined
  const giveUp = new Promise<never>((_, reject) => {
    const stall = () =>
      reject(new Error(`no progress for ${stallMs / 1000} s (is the hub reachable from here?)`))
    timer = setTimeout(stall, stallMs)
    running.listeners.add(listener)
    function listener(bytes: number) {
      if (bytes <= downloaded) return
      downloaded = bytes
      clearTimeout(timer)
      timer = setTimeout(stall, stallMs)
    }
    onAbort = () => reject(options.signal.reason)
    options.signal.addEventListener('abort', onAbort, { once: true })
    running.promise.finally(() => running.listeners.delete(listener)).catch(() => {})
  })
  try {
    return await Promise.race([running.promise, giveUp])
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason ?? error
    throw new UpstreamError(
      'connect',
      `could not download local model ${ref}: ${(error as Error).message}. Put the file in ${common.directory ?? 'the models directory'} or point modelPath at a local GGUF`,
      { cause: error },
    )
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) options.signal.removeEventListener('abort', onAbort)
  }
}

const MB = 1024 * 1024

/** A one-line bar redrawn in place on a terminal; a line per 10 % elsewhere (logs, CI). */
export function progressBar(label: string, out: NodeJS.WritableStream & { isTTY?: boolean }) {
  let lastTenth = -1
  let drawn = false
  return {
    update(done: number, total: number) {
      if (total <= 0) return
      const ratio = Math.min(1, done / total)
      const text = `${label} ${(done / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB ${Math.floor(ratio * 100)}%`
      if (out.isTTY) {
        const width = 30
        const fill = Math.round(ratio * width)
        out.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${text}`)
        drawn = true
        return
      }
      const tenth = Math.floor(ratio * 10)
      if (tenth > lastTenth) {
        lastTenth = tenth
        out.write(`${text}\n`)
      }
    },
    done() {
      if (drawn) out.write('\n')
      drawn = false
    },
  }
}
