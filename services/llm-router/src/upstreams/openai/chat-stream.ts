// Pass-through of an OpenAI-compatible SSE stream: the upstream's bytes go to the caller as they
// came, cut only at event boundaries (so an in-band error the router appends never lands inside a
// half-sent event) and with three kinds of event taken out: comments, `[DONE]` and the usage-only
// chunk. Nothing is parsed on the way except the usage chunk and an error event, once each.
import type { Usage } from '@switchyard/contracts'
import { networkError } from '../http.ts'
import { type ChatStream, UpstreamError } from '../provider.ts'

const LF2 = Buffer.from('\n\n')
const DATA = Buffer.from('data:')
const DONE = Buffer.from('[DONE]')
const USAGE_OBJECT = Buffer.from('"usage":{')
const USAGE_OBJECT_SPACED = Buffer.from('"usage": {')
const EMPTY_CHOICES = Buffer.from('"choices":[]')
const ERROR_KEY = Buffer.from('{"error"')
const SPACE = 0x20
const COLON = 0x3a

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
  /** Events that carry a usage object, kept raw: parsed only when usage() is asked for. */
  readonly #usageEvents: Buffer[] = []
  #usage: Usage | null | undefined
  #id: string | undefined
  #created: number | undefined
  #done = false
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
        const out = this.#filter(data.subarray(0, cut))
        if (out !== undefined) {
          const part = this.#rewrite === null ? out : this.#rewrite(out)
          this.#kept.push(part)
          yield part
        }
        if (this.#done) {
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
    if (!this.#done) throw new UpstreamError('protocol', 'the upstream stream ended before [DONE]')
  }

  /** The forwardable bytes of whole events, or undefined when none are left. */
  #filter(events: Buffer): Buffer | undefined {
    let parts: Buffer[] | undefined
    let keepFrom = 0
    let start = 0
    // One scan of the whole read for a usage object; most reads have none and skip the per-event look.
    let usageAt = findUsage(events, 0)
    while (start < events.length) {
      const boundary = events.indexOf(LF2, start)
      const end = boundary === -1 ? events.length : boundary
      const next = end + 2
      const hasUsage = usageAt !== -1 && usageAt < end
      if (!this.#keep(events, start, end, hasUsage)) {
        if (start > keepFrom) {
          parts ??= []
          parts.push(events.subarray(keepFrom, start))
        }
        keepFrom = next
      }
      if (hasUsage) usageAt = findUsage(events, next)
      start = next
    }
    if (keepFrom === 0) return events
    if (keepFrom < events.length) {
      parts ??= []
      parts.push(events.subarray(keepFrom))
    }
    if (parts === undefined) return undefined
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }

  /** Whether the event in [start, end) goes to the caller; records [DONE], usage and errors. */
  #keep(events: Buffer, start: number, end: number, hasUsage: boolean): boolean {
    if (end === start || events[start] === COLON) return false
    if (!startsWith(events, DATA, start)) return true
    let at = start + DATA.length
    if (events[at] === SPACE) at++
    if (startsWith(events, DONE, at)) {
      this.#done = true
      return false
    }
    if (startsWith(events, ERROR_KEY, at)) throw this.#inBandError(events.subarray(at, end))
    if (!hasUsage) return true
    const event = events.subarray(at, end)
    // The usage-only chunk is the router's to send (parsed later, off the request path); a usage
    // riding on a content chunk stays where it is.
    if (event.indexOf(EMPTY_CHOICES) === -1) {
      this.#usageEvents.push(event)
      return true
    }
    this.#usageEvents.push(event)
    return false
  }

  #inBandError(json: Buffer): UpstreamError {
    const parsed = parse(json)
    const error = parsed?.error
    const message =
      typeof error === 'string'
        ? error
        : (error?.message ?? parsed?.message ?? 'the upstream sent an error event')
    const code = typeof error === 'object' && typeof error?.code === 'string' ? error.code : undefined
    return new UpstreamError('protocol', message, code === undefined ? {} : { upstreamCode: code })
  }

  usage(): Usage | null {
    if (this.#usage === undefined) {
      this.#usage = null
      for (const event of this.#usageEvents) {
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

/** Where the next `"usage":{` (or `"usage": {`) starts at or after `from`, or -1. */
function findUsage(buffer: Buffer, from: number): number {
  const compact = buffer.indexOf(USAGE_OBJECT, from)
  if (compact !== -1) return compact
  return buffer.indexOf(USAGE_OBJECT_SPACED, from)
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

function startsWith(buffer: Buffer, prefix: Buffer, at: number): boolean {
  if (at + prefix.length > buffer.length) return false
  for (let i = 0; i < prefix.length; i++) if (buffer[at + i] !== prefix[i]) return false
  return true
}
