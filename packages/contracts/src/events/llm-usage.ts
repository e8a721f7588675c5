import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

/** One finished LLM request (success, error or cancel), priced. Producer: llm-router. Consumer: admin. */
export const LlmUsageV1 = Type.Object({
  /** The router's request id; the ledger's idempotency key together with the envelope id. */
  requestId: Id,
  orgId: OrgId,
  userId: Id,
  /** The API key used, or null for an OIDC session. */
  keyId: Type.Union([Id, Type.Null()]),
  /** The model name the caller asked for. */
  alias: Type.String({ minLength: 1 }),
  /** The deployment that served the last attempt. */
  deployment: Type.String({ minLength: 1 }),
  /** Provider kind of that deployment: vllm, ollama, openai, llama-cpp, ... */
  provider: Type.String({ minLength: 1 }),
  inputTokens: Type.Integer({ minimum: 0 }),
  outputTokens: Type.Integer({ minimum: 0 }),
  /** Price of the tokens in US dollars, from the admin's price table at request time. */
  costUsd: Type.Number({ minimum: 0 }),
  /** From request received to last byte sent, milliseconds. */
  latencyMs: Type.Number({ minimum: 0 }),
  /** Time to first token, milliseconds; null when nothing was streamed. */
  ttftMs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  status: Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('cancelled')]),
  /** The error code the caller saw (e.g. LLM_ROUTER_ERR_UPSTREAM); null when status is ok. */
  errorCode: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Upstream attempts made, retries and fallbacks included. */
  attempts: Type.Integer({ minimum: 1 }),
  stream: Type.Boolean(),
  startedAt: Timestamp,
})
export type LlmUsageV1 = Static<typeof LlmUsageV1>

/** Keyed by orgId: one org's usage arrives in order for its budget. */
export const llmUsageV1 = defineTopic('llm.usage.v1', LlmUsageV1)
