// Pass-through of an OpenAI-compatible SSE stream: the upstream's bytes go to the caller as they
// came, cut only at event boundaries (so an in-band error the router appends never lands inside a
// half-sent event), less the events the byte scan takes out (fast-path/sse.ts). Nothing is
// parsed on the way except the usage chunk and an error event, once each.
import type { Usage } from '@switchyard/contracts'
import { SseEventFilter } from '../../fast-path/sse.ts'
import { networkError } from '../http.ts'
import { type ChatStream, UpstreamError } from '../provider.ts'

const LF2 = Buffer.from('\n\n')

interface ChunkLike {
  id?: string
  created?: number
  choices?: {
    delta?: { content?: string | null; tool_calls?: { function?: { name?: string; arguments?: string } }[] }
  }[]
  usage?: Usage | null
  error?: { message?: string; code?: string | null } | string
  message?: string
}

export class PassThroughChatStream implements ChatStream {
  readonly #body: AsyncIterable<Buffer>
  readonly #signal: AbortSignal
  readonly #rewrite: ((bytes: Buffer) => Buffer) | null
  /** Every forwarded part, kept by reference for completionText(), id() and created(). */
  readonly #kept: Buffer[] = []
  /** Usage events stay raw in it: parsed only when usage() is asked for. */
  readonly #events = new SseEventFilter(inBandError)
  #usage: Usage | null | undefined
  #id: string | undefined
  #created: number | undefined
  #crlf: boolean | undefined

  constructor(body: AsyncIterable<Buffer>, signal: AbortSignal, rewrite: ((bytes: Buffer) => Buffer) | null) {
    this.#body = body
    this.#signal = signal
    this.#rewrite = rewrite
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let pending: Buffer | undefined
    const reads = this.#body[Symbol.asyncIterator]()
    let released = false
    try {
      for (;;) {
        const read = await reads.next()
        if (read.done) break
        let chunk = read.value
        this.#crlf ??= chunk.includes(0x0d)
        // Servers that frame with CRLF are rare; normalizing costs a copy, only for them.
        if (this.#crlf) chunk = Buffer.from(chunk.toString('latin1').replaceAll('\r\n', '\n'), 'latin1')
        const data = pending === undefined ? chunk : Buffer.concat([pending, chunk])
        const last = data.lastIndexOf(LF2)
        if (last === -1) {
          pending = data
          continue
        }
        const cut = last + 2
        pending = cut < data.length ? data.subarray(cut) : undefined
        const out = this.#events.filter(data.subarray(0, cut))
        if (out !== undefined) {
          const part = this.#rewrite === null ? out : this.#rewrite(out)
          this.#kept.push(part)
          yield part
        }
        if (this.#events.done) {
          // [DONE] is the end: the caller's answer need not wait for the upstream's last bytes.
          // The rest of the body is read in the background so its connection returns to the pool.
          released = true
          drain(reads)
          return
        }
      }
      released = true
    } catch (error) {
      throw networkError(error, this.#signal, true)
    } finally {
      // Failed, or stopped early by the caller: let go of the upstream response.
      if (!released) reads.return?.().catch(() => {})
    }
    if (!this.#events.done) throw new UpstreamError('protocol', 'the upstream stream ended before [DONE]')
  }

  usage(): Usage | null {
    if (this.#usage === undefined) {
      this.#usage = null
      for (const event of this.#events.usageEvents) {
        const chunk = parse(event)
        if (chunk?.usage) this.#usage = chunk.usage
        this.#id ??= chunk?.id
        this.#created ??= chunk?.created
      }
    }
    return this.#usage
  }

  id(): string {
    if (this.#id === undefined) this.#id = this.#firstChunk()?.id ?? 'chatcmpl-switchyard'
    return this.#id
  }

  created(): number {
    if (this.#created === undefined)
      this.#created = this.#firstChunk()?.created ?? Math.floor(Date.now() / 1000)
    return this.#created
  }

  completionText(): string {
    let text = ''
    for (const part of this.#kept) {
      for (const chunk of chunksOf(part)) {
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta
          if (typeof delta?.content === 'string') text += delta.content
          for (const call of delta?.tool_calls ?? []) {
            if (call.function?.name) text += call.function.name
            if (call.function?.arguments) text += call.function.arguments
          }
        }
      }
    }
    return text
  }

  #firstChunk(): ChunkLike | undefined {
    const first = this.#kept[0]
    return first === undefined ? undefined : chunksOf(first).next().value
  }
}

function inBandError(json: Buffer): UpstreamError {
  const parsed = parse(json)
  const error = parsed?.error
  const message =
    typeof error === 'string'
      ? error
      : (error?.message ?? parsed?.message ?? 'the upstream sent an error event')
  const code = typeof error === 'object' && typeof error?.code === 'string' ? error.code : undefined
  return new UpstreamError('protocol', message, code === undefined ? {} : { upstreamCode: code })
}

function* chunksOf(part: Buffer): Generator<ChunkLike> {
  for (const line of part.toString('utf8').split('\n')) {
    if (!line.startsWith('data:')) continue
    const chunk = parse(line.slice(5))
    if (chunk !== undefined) yield chunk
  }
}

function parse(json: Buffer | string): ChunkLike | undefined {
  try {
    const value: unknown = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'))
    return value !== null && typeof value === 'object' ? (value as ChunkLike) : undefined
  } catch {
    return undefined
  }
}

function drain(reads: AsyncIterator<Buffer>): void {
  const next = (): void => {
    reads.next().then(
      (read) => {
        if (!read.done) next()
      },
      () => {},
    )
  }
  next()
}
