// What an OpenAI-compatible upstream is sent: the fields the router's contract knows (and so
// reserves for: `n`, `max_tokens`, the prompt), plus those the deployment's operator lists in
// `options.extraFields` (vLLM's `guided_json`, say). Anything else a caller adds is dropped: an
// unknown field can make the upstream do work admission did not count (vLLM's `best_of`).
import { ChatCompletionRequest, EmbeddingsRequest } from '@switchyard/contracts'
import type { Deployment } from '../../catalog/schema.ts'

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
