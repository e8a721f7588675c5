// The load generator: the parent calls each path over keep-alive connections (undici), one call
// at a time for latency and time to first token, or from many connections at once for throughput.
import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'

export const chatPath = '/v1/chat/completions'

/** The first content token of an OpenAI chat stream (the role chunk before it has none). */
const firstToken = '"delta":{"content":"'

export interface Timing {
  /** From sending the request to the last byte of the answer, ms. */
  totalMs: number
  /** From sending the request to the first content token, ms; NaN for a non-streaming call. */
  ttftMs: number
}

/** One chat call; throws on anything but a 200, so a refused or failed call never counts. */
export async function callOnce(
  dispatcher: Dispatcher,
  headers: Record<string, string>,
  body: string,
  stream: boolean,
): Promise<Timing> {
  const started = performance.now()
  const res = await dispatcher.request({ path: chatPath, method: 'POST', headers, body })
  if (res.statusCode !== 200) {
    throw new Error(`${chatPath} answered ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`)
  }
  let ttftMs = Number.NaN
  let tail = ''
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (!stream || !Number.isNaN(ttftMs)) continue
    // The marker may straddle two chunks: keep the end of the previous one.
    const text = tail + chunk.toString('latin1')
    if (text.includes(firstToken)) ttftMs = performance.now() - started
    else tail = text.slice(-firstToken.length)
  }
  const totalMs = performance.now() - started
  if (stream && Number.isNaN(ttftMs)) throw new Error('a stream ended without a content token')
  return { totalMs, ttftMs }
}

export interface Samples {
  totalMs: number[]
  ttftMs: number[]
}

/** `count` calls one after the other on one connection. */
export async function sequential(
  client: Dispatcher,
  headers: Record<string, string>,
  body: string,
  stream: boolean,
  count: number,
  into: Samples,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const { totalMs, ttftMs } = await callOnce(client, headers, body, stream)
    into.totalMs.push(totalMs)
    if (stream) into.ttftMs.push(ttftMs)
  }
}

export interface Throughput {
  completed: number
  elapsedMs: number
}

/**
 * `connections` callers, each calling again as soon as its answer is in, for `durationMs`; the
 * elapsed time runs until the last call started in that time has finished.
 */
export async function concurrent(
  pool: Dispatcher,
  headers: Record<string, string>,
  body: string,
  stream: boolean,
  connections: number,
  durationMs: number,
  into: Samples,
): Promise<Throughput> {
  const started = performance.now()
  const deadline = started + durationMs
  let completed = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const { totalMs, ttftMs } = await callOnce(pool, headers, body, stream)
      into.totalMs.push(totalMs)
      if (stream) into.ttftMs.push(ttftMs)
      completed++
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  return { completed, elapsedMs: performance.now() - started }
}
