import type { Agent } from 'undici'
import type { Deployment } from '../../catalog/schema.ts'
import { exchangeStream, exchangeText } from '../../fast-path/exchange.ts'
import { createAgent, networkError, splitBaseUrl, upstreamHttpError } from '../http.ts'
import { type ForwardedFields, forwardedFields } from './fields.ts'

/** One deployment's pool and the request headers every call sends, computed once. */
export interface OpenAIConnection {
  model: string
  /** What the upstream is sent of a request (fields.ts). */
  fields: ForwardedFields
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

  const request = (method: 'GET' | 'POST', path: string, body: string | null) => ({
    origin,
    path: prefix + path,
    method,
    headers,
    body,
  })
  const text = async (method: 'GET' | 'POST', path: string, body: string | null, signal: AbortSignal) => {
    let answer: Awaited<ReturnType<typeof exchangeText>>
    try {
      answer = await exchangeText(agent, request(method, path, body), signal)
    } catch (error) {
      throw networkError(error, signal, false)
    }
    if (answer.statusCode >= 400) throw upstreamHttpError(answer.statusCode, answer.headers, answer.text)
    return answer.text
  }
  const post = async (path: string, body: string, signal: AbortSignal) => {
    let answer: Awaited<ReturnType<typeof exchangeStream>>
    try {
      answer = await exchangeStream(agent, request('POST', path, body), signal)
    } catch (error) {
      throw networkError(error, signal, false)
    }
    if (answer.statusCode >= 400) {
      let text = ''
      try {
        for await (const chunk of answer.body) text += chunk.toString('utf8')
      } catch {
        // what arrived is enough to classify the failure
      }
      throw upstreamHttpError(answer.statusCode, answer.headers, text)
    }
    return answer.body
  }

  return {
    model: deployment.model,
    fields: forwardedFields(deployment),
    post,
    postText: (path, body, signal) => text('POST', path, body, signal),
    getJson: async (path, signal) => JSON.parse(await text('GET', path, null, signal)),
    close: () => agent.close(),
  }
}
