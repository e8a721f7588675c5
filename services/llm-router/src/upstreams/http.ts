// What the HTTP providers (openai, ollama) share: one keep-alive pool per deployment, and turning
// an upstream's failure into an UpstreamError the pipeline can route on.
import type { IncomingHttpHeaders } from 'node:http'
import { Agent } from 'undici'
import type { Deployment } from '../catalog/schema.ts'
import { UpstreamError } from './provider.ts'

/**
 * A connection pool for one deployment. undici's own header and body timeouts are off: the
 * pipeline enforces TTFT, idle and total timeouts itself, and only the connect timeout lives here.
 */
export function createAgent(deployment: Deployment): Agent {
  return new Agent({
    connect: { timeout: deployment.timeouts.connectMs },
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: Number.isFinite(deployment.maxConcurrency) ? deployment.maxConcurrency : null,
    pipelining: 1,
  })
}

/** `origin` and the path prefix of a base URL, split once so a call does not parse a URL. */
export function splitBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  const url = new URL(baseUrl)
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') }
}

/** Retry-After in milliseconds: seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const raw = headers['retry-after-ms'] ?? headers['retry-after']
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined || value === '') return undefined
  if (headers['retry-after-ms'] !== undefined) {
    const ms = Number(value)
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined
  }
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The message and code inside an error body: OpenAI's `{error:{message,code}}` or Ollama's `{error}`. */
function describeBody(text: string): { message: string; code: string | undefined } {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown }
    const error = parsed.error
    if (typeof error === 'string') return { message: error, code: undefined }
    if (error !== null && typeof error === 'object') {
      const e = error as { message?: unknown; code?: unknown; type?: unknown }
      const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined
      return { message: typeof e.message === 'string' ? e.message : text.slice(0, 500), code }
    }
    if (typeof parsed.message === 'string') return { message: parsed.message, code: undefined }
  } catch {
    // not JSON: use the text
  }
  return { message: text.slice(0, 500), code: undefined }
}

const contextLengthText =
  /maximum context length|context length|context window|too many tokens|prompt is too long/i

/** Classifies an upstream's error answer (status >= 400) by its status, code and message. */
export function upstreamHttpError(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
): UpstreamError {
  const { message, code } = describeBody(bodyText)
  const details = {
    status,
    retryAfterMs: retryAfterMs(headers),
    ...(code === undefined ? {} : { upstreamCode: code }),
  }
  if (status === 429) return new UpstreamError('rate_limited', message, details)
  if (status >= 500) return new UpstreamError('server', message, details)
  if (status === 401 || status === 403 || status === 404)
    return new UpstreamError('refused', message, details)
  if (code === 'context_length_exceeded' || (status === 400 && contextLengthText.test(message)))
    return new UpstreamError('context_length', message, details)
  // 408 and 409 are the upstream's transient states, as the openai client treats them.
  if (status === 408 || status === 409) return new UpstreamError('server', message, details)
  return new UpstreamError('bad_request', message, details)
}

/** A thrown network error (not an HTTP answer) as an UpstreamError; abort reasons pass through. */
export function networkError(error: unknown, signal: AbortSignal, afterHeaders: boolean): unknown {
  if (signal.aborted) return signal.reason ?? error
  if (error instanceof UpstreamError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new UpstreamError(afterHeaders ? 'protocol' : 'connect', message, { cause: error })
}
