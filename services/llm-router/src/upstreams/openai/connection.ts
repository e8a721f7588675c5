// One OpenAI-compatible deployment: its pool, its headers, and which request fields it is sent.
import { ChatCompletionRequest, EmbeddingsRequest } from '@switchyard/contracts'
import type { Agent } from 'undici'
import type { Deployment } from '../../catalog/schema.ts'
import { exchangeStream, exchangeText } from '../../fast-path/exchange.ts'
import { createAgent, networkError, splitBaseUrl, upstreamHttpError } from '../http.ts'

/** One deployment's pool and the request headers every call sends, computed once. */
export interface OpenAIConnection {
  model: string
  /** What the upstream is sent of a request (forwardedFields). */
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

// What an OpenAI-compatible upstream is sent: the fields the router's contract knows (and so
// reserves for: `n`, `max_tokens`, the prompt), plus those the deployment's operator lists in
// `options.extraFields` (vLLM's `guided_json`, say). Anything else a caller adds is dropped: an
// unknown field can make the upstream do work admission did not count (vLLM's `best_of`).

/** OpenAI's, beyond the contract's, that cost nothing admission does not already bound. */
const openAIChatExtras = ['reasoning_effort']

/** The chat and embeddings fields a deployment forwards. */
export interface ForwardedFields {
  chat: ReadonlySet<string>
  embeddings: ReadonlySet<string>
}

export function forwardedFields(deployment: Deployment): ForwardedFields {
  const extra = extraFields(deployment.options)
  return {
    chat: new Set([...Object.keys(ChatCompletionRequest.properties), ...openAIChatExtras, ...extra]),
    embeddings: new Set([...Object.keys(EmbeddingsRequest.properties), ...extra]),
  }
}

/** `request` itself when every field is allowed (the common case: no copy), else a copy without the others. */
export function onlyFields<T extends object>(request: T, allowed: ReadonlySet<string>): T {
  for (const key in request) {
    if (allowed.has(key)) continue
    const kept: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(request)) if (allowed.has(k)) kept[k] = v
    return kept as T
  }
  return request
}

/** Problems with an openai deployment's options (checked when the catalog loads). */
export function openAIOptionIssues(options: Record<string, unknown>): string[] {
  const extra = options.extraFields
  if (extra === undefined) return []
  if (Array.isArray(extra) && extra.every((f) => typeof f === 'string' && f !== '')) return []
  return ['options/extraFields must be a list of field names']
}

function extraFields(options: Record<string, unknown>): string[] {
  const extra = options.extraFields
  return Array.isArray(extra) ? extra.filter((f): f is string => typeof f === 'string') : []
}
