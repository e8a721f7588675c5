import type { IncomingHttpHeaders } from 'node:http'
import { Ollama } from 'ollama'
import { type Agent, fetch as undiciFetch } from 'undici'
import type { Deployment } from '../../catalog/schema.ts'
import { createAgent, networkError, upstreamHttpError } from '../http.ts'

/** One deployment's pool, and an `ollama` client per call bound to that call's signal. */
export interface OllamaConnection {
  deployment: Deployment
  /** A client whose requests use the pool and abort with `signal`. */
  client(signal: AbortSignal): OllamaCall
  close(): Promise<void>
}

export interface OllamaCall {
  ollama: Ollama
  /** Runs `work` and turns what it throws into an UpstreamError (or the abort reason). */
  guard<T>(work: (ollama: Ollama) => Promise<T>, afterHeaders?: boolean): Promise<T>
  /** The same for an error thrown while a stream is read. */
  failure(error: unknown): unknown
}

export function ollamaConnection(deployment: Deployment): OllamaConnection {
  const agent: Agent = createAgent(deployment)
  const headers: Record<string, string> = {
    ...deployment.headers,
    ...(deployment.apiKey === undefined ? {} : { authorization: `Bearer ${deployment.apiKey}` }),
  }
  return {
    deployment,
    client(signal) {
      // The client drops response headers on errors; keep the last ones for Retry-After.
      let lastHeaders: IncomingHttpHeaders = {}
      // Whether the client got as far as sending: what it throws before (it could not write the
      // body) is the router's own failure, not the upstream's.
      let sent = false
      const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
        sent = true
        const response = await undiciFetch(
          input as string,
          {
            ...(init as object),
            dispatcher: agent,
            signal,
          } as Parameters<typeof undiciFetch>[1],
        )
        if (!response.ok) lastHeaders = Object.fromEntries(response.headers)
        return response
      }) as unknown as typeof globalThis.fetch
      const ollama = new Ollama({ host: deployment.baseUrl, fetch, headers })
      const failure = (error: unknown, afterHeaders: boolean): unknown => {
        if (!sent && !signal.aborted) return error
        const status = (error as { status_code?: unknown } | null)?.status_code
        if (!signal.aborted && typeof status === 'number' && status >= 400) {
          return upstreamHttpError(status, lastHeaders, JSON.stringify({ error: (error as Error).message }))
        }
        return networkError(error, signal, afterHeaders)
      }
      return {
        ollama,
        async guard(work, afterHeaders = false) {
          try {
            return await work(ollama)
          } catch (error) {
            throw failure(error, afterHeaders)
          }
        },
        failure: (error) => failure(error, true),
      }
    },
    close: () => agent.close(),
  }
}
