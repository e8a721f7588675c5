import { type Dispatcher, request } from 'undici'

/** What a tool may fetch: limits that hold for every call. */
export interface SafeFetchOptions {
  /** An Agent from `createGuardedAgent`: it refuses internal addresses on every connection. */
  dispatcher: Dispatcher
  /** Bytes of body kept; the rest is not read and the answer is marked truncated. */
  maxBytes: number
  /** The whole exchange, redirects included, in milliseconds. */
  timeoutMs: number
  /** Redirects followed before the fetch fails. */
  maxRedirects: number
}

export interface SafeRequest {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Header names (lower case) dropped when a redirect leaves the first origin: secrets. */
  sensitiveHeaders?: readonly string[]
  body?: string
  /** Checked for the first URL and every redirect target: why it may not be fetched, or null. */
  refusal?: (url: URL) => string | null
  signal?: AbortSignal
}

export interface SafeResponse {
  /** The URL that answered, after redirects. */
  url: string
  status: number
  contentType: string | null
  text: string
  /** The body was longer than `maxBytes`; `text` is its first `maxBytes` bytes. */
  truncated: boolean
}

/** A fetch refused by a rule (scheme, allow-list, redirects): the model may try something else. */
export class FetchRefusedError extends Error {
  override name = 'FetchRefusedError'
}

const redirects = new Set([301, 302, 303, 307, 308])

/**
 * A fetch for tools: http(s) only, redirects followed by hand so each target is checked against
 * `refusal` (and, through the dispatcher, its addresses), secrets dropped when a redirect changes
 * origin, the body capped, the whole exchange timed.
 */
export function createSafeFetch(options: SafeFetchOptions) {
  return async function safeFetch(req: SafeRequest): Promise<SafeResponse> {
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout])
    const first = new URL(req.url)
    let url = first
    let method = req.method ?? 'GET'
    let body = req.body
    let headers = { ...req.headers }
    for (let hop = 0; ; hop++) {
      const refused = schemeRefusal(url) ?? req.refusal?.(url) ?? null
      if (refused !== null) throw new FetchRefusedError(refused)
      const res = await request(url, {
        dispatcher: options.dispatcher,
        method,
        headers,
        body: body ?? null,
        signal,
      })
      const location = res.headers.location
      if (redirects.has(res.statusCode) && typeof location === 'string') {
        await res.body.dump()
        if (hop >= options.maxRedirects)
          throw new FetchRefusedError(`more than ${options.maxRedirects} redirects`)
        const next = new URL(location, url)
        // 303, and 301/302 after a POST, turn into a GET without a body (as browsers do).
        if (
          res.statusCode === 303 ||
          (method === 'POST' && res.statusCode !== 307 && res.statusCode !== 308)
        ) {
          method = 'GET'
          body = undefined
          headers = withoutHeaders(headers, ['content-type', 'content-length'])
        }
        if (next.origin !== first.origin) headers = withoutHeaders(headers, req.sensitiveHeaders ?? [])
        url = next
        continue
      }
      const { text, truncated } = await readCapped(res.body, options.maxBytes)
      const contentType = res.headers['content-type']
      return {
        url: url.href,
        status: res.statusCode,
        contentType: typeof contentType === 'string' ? contentType : null,
        text,
        truncated,
      }
    }
  }
}

export type SafeFetch = ReturnType<typeof createSafeFetch>

function schemeRefusal(url: URL): string | null {
  return url.protocol === 'http:' || url.protocol === 'https:'
    ? null
    : `scheme ${url.protocol} is not fetched`
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const drop = new Set(names.map((name) => name.toLowerCase()))
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop.has(name.toLowerCase())))
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    if (size + chunk.length > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size))
      // Stop reading: the rest of a large or endless body is never downloaded.
      body.destroy()
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true }
    }
    chunks.push(chunk)
    size += chunk.length
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false }
}
