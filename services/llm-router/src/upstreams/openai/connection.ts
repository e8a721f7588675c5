import type { Agent } from 'undici'
import type { Deployment } from '../../catalog/schema.ts'
import { createAgent, networkError, splitBaseUrl, upstreamHttpError } from '../http.ts'

/** One deployment's pool and the request headers every call sends, computed once. */
export interface OpenAIConnection {
  model: string
  /** POSTs JSON; resolves with the body stream of a 2xx, throws an UpstreamError otherwise. */
  post(path: string, body: string, signal: AbortSignal): Promise<AsyncIterable<Buffer>>
  /** POSTs JSON and reads the whole 2xx answer. */
  postText(path: string, body: string, signal: AbortSignal): Promise<string>
  getJson(path: string, signal: AbortSignal): Promise<unknown>
  close(): Promise<void>
}

export function openAIConnection(deployment: Deployment): OpenAIConnection {
  const agent: Agent = createAgent(deployment)
  const { origin, prefix } = splitBaseUrl(deployment.baseUrl)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...deployment.headers,
    ...(deployment.apiKey === undefined ? {} : { authorization: `Bearer ${deployment.apiKey}` }),
  }

  const send = async (method: 'GET' | 'POST', path: string, body: string | null, signal: AbortSignal) => {
    let response: Awaited<ReturnType<Agent['request']>>
    try {
      response = await agent.request({ origin, path: prefix + path, method, headers, body, signal })
    } catch (error) {
      throw networkError(error, signal, false)
    }
    if (response.statusCode >= 400) {
      const text = await response.body.text().catch(() => '')
      throw upstreamHttpError(response.statusCode, response.headers, text)
    }
    return response.body
  }
  const text = async (method: 'GET' | 'POST', path: string, body: string | null, signal: AbortSignal) => {
    const stream = await send(method, path, body, signal)
    try {
      return await stream.text()
    } catch (error) {
      throw networkError(error, signal, true)
    }
  }

  return {
    model: deployment.model,
    post: (path, body, signal) => send('POST', path, body, signal),
    postText: (path, body, signal) => text('POST', path, body, signal),
    getJson: async (path, signal) => JSON.parse(await text('GET', path, null, signal)),
    close: () => agent.close(),
  }
}
