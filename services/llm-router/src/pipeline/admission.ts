// The hook where rate limits and budgets (src/limits/) plug into the request pipeline. The
// pipeline calls `admit` once per request, after the alias is known and before any upstream call,
// and ends every ticket exactly once: `settle` when an upstream answered (fully or in part),
// `release` when nothing was consumed (no deployment could be tried, or every attempt failed
// before producing tokens).
import type { Identity } from '@switchyard/contracts'
import type { Pricing } from '../catalog/schema.ts'

export interface AdmissionRequest {
  identity: Identity
  /** The alias the caller named. */
  alias: string
  /** 'chat' or 'embeddings'. */
  operation: 'chat' | 'embeddings'
  /**
   * Prompt size estimate (UTF-16 characters / 4, rounded up, with media, tools and schemas:
   * `estimateTokens`, src/usage/tokens.ts), computed without a tokenizer so that the no-op
   * admission costs nothing; the settled count is exact.
   */
  promptTokens: number
  /** Completion tokens the caller allows per choice (`max_completion_tokens` or `max_tokens`), null if unbounded. */
  maxTokens: number | null
  /** Completions asked for (`n`), each up to `maxTokens`. Default 1. */
  choices?: number
  /** The alias's dearest deployment's prices: enough to reserve against before one is chosen. */
  pricing: Pricing
}

export interface AdmissionTicket {
  /** Nothing was consumed: give back what `admit` reserved. */
  release(): void
  /** The request used this much: replace the reservation with the actual cost and tokens. */
  settle(actualCostUsd: number, actualTokens: { input: number; output: number }): void
}

export interface Admission {
  /**
   * Admits the request or rejects it by throwing a 429 service error carrying `retry-after` in its
   * `headers` (budget exhausted or a rate limit hit). May be synchronous for the common case: the
   * pipeline awaits only a returned promise.
   */
  admit(request: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket>
}

const noTicket: AdmissionTicket = { release() {}, settle() {} }

/** Admits everything and reserves nothing: the default until limits are configured. */
export const noAdmission: Admission = {
  admit: () => noTicket,
}
