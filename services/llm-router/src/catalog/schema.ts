import { type Static, Type } from 'typebox'

// The model catalog: which aliases callers may name, and the deployments behind each. Written as YAML
// (LLM_ROUTER_MODELS_FILE) or inline (LLM_ROUTER_MODELS), validated at load, swapped whole at runtime.
// Durations are integers in milliseconds throughout.

/** A model alias or deployment id: what appears in URLs-free places like labels and headers. */
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$' })

export const TimeoutsSpec = Type.Object(
  {
    /** TCP (and TLS) connect, ms. */
    connectMs: Type.Optional(Type.Integer({ minimum: 1 })),
    /** From sending the request to the first streamed event, ms (streaming requests). */
    ttftMs: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Longest silence between two streamed events, ms. */
    idleMs: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Whole upstream call, ms; for a non-streaming request the only bound after connect. */
    totalMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type TimeoutsSpec = Static<typeof TimeoutsSpec>

export const PricingSpec = Type.Object(
  {
    /** US dollars per million prompt tokens. */
    inputPerMillion: Type.Number({ minimum: 0 }),
    /** US dollars per million completion tokens. */
    outputPerMillion: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type PricingSpec = Static<typeof PricingSpec>

export const DeploymentSpec = Type.Object(
  {
    /** Unique in the catalog: health, metrics, headers and usage events name the deployment by it. */
    id: Name,
    /** Key in the provider registry (src/upstreams/registry.ts): openai, ollama, local. */
    provider: Type.String({ minLength: 1 }),
    /** Base URL: `http://vllm:8000/v1` for openai (up to and including /v1), `http://ollama:11434` for ollama. */
    baseUrl: Type.Optional(Type.String({ minLength: 1 })),
    /** The model name the upstream knows. */
    model: Type.String({ minLength: 1 }),
    /** Bearer token for the upstream (managed APIs). Prefer apiKeyFile for secrets. */
    apiKey: Type.Optional(Type.String({ minLength: 1 })),
    /** File holding the bearer token (a mounted secret); read at load. */
    apiKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Extra request headers sent upstream. */
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Share of traffic under weighted round robin; 0 drains the deployment. Default 1. */
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /** Requests in flight at once on this deployment before it counts as saturated. Default unlimited. */
    maxConcurrency: Type.Optional(Type.Integer({ minimum: 1 })),
    timeouts: Type.Optional(TimeoutsSpec),
    /** Overrides the alias's pricing. */
    pricing: Type.Optional(PricingSpec),
    /** Provider-specific settings (e.g. ollama `keep_alive`, local `modelPath`), passed as is. */
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)
export type DeploymentSpec = Static<typeof DeploymentSpec>

export const Strategy = Type.Union([
  Type.Literal('weighted-round-robin'),
  Type.Literal('least-in-flight'),
  Type.Literal('lowest-latency'),
])
export type Strategy = Static<typeof Strategy>

/**
 * Error classes a fallback can be chosen for. `any` is what `fallbacks` covers: every retryable
 * failure once the alias's own deployments are exhausted.
 */
export const ErrorClass = Type.Union([
  Type.Literal('context_length_exceeded'),
  Type.Literal('rate_limited'),
  Type.Literal('timeout'),
  Type.Literal('server_error'),
  Type.Literal('unavailable'),
])
export type ErrorClass = Static<typeof ErrorClass>

export const RetrySpec = Type.Object(
  {
    /** Attempts on one alias (its deployments together) before moving to a fallback. Default 3. */
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** First backoff, ms; doubled per attempt, then jittered to 50-100 %. Default 100. */
    baseDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Backoff ceiling, ms. Default 2 000. */
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Longest Retry-After the router waits out itself, ms; longer ones go to a fallback or the caller. Default 5 000. */
    maxRetryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)
export type RetrySpec = Static<typeof RetrySpec>

export const CooldownSpec = Type.Object(
  {
    /** Cooldown after a first failure, ms; doubled per consecutive failure. Default 1 000. */
    baseMs: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Cooldown ceiling, ms. Default 60 000. */
    maxMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type CooldownSpec = Static<typeof CooldownSpec>

export const AliasSpec = Type.Object(
  {
    /** How a deployment is chosen. Default weighted-round-robin. */
    strategy: Type.Optional(Strategy),
    deployments: Type.Array(DeploymentSpec, { minItems: 1 }),
    /** Aliases tried in order once this one's deployments are exhausted (any retryable failure). */
    fallbacks: Type.Optional(Type.Array(Name)),
    /** Fallbacks for one error class, tried before `fallbacks`; e.g. context_length_exceeded → a longer-context alias. */
    fallbacksOn: Type.Optional(Type.Partial(Type.Record(ErrorClass, Type.Array(Name)))),
    /** Default pricing for its deployments. */
    pricing: Type.Optional(PricingSpec),
    timeouts: Type.Optional(TimeoutsSpec),
    retry: Type.Optional(RetrySpec),
    /** false: usable (as a fallback, say) but not listed by GET /v1/models. Default true. */
    listed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type AliasSpec = Static<typeof AliasSpec>

export const CatalogSpec = Type.Object(
  {
    defaults: Type.Optional(
      Type.Object(
        {
          strategy: Type.Optional(Strategy),
          timeouts: Type.Optional(TimeoutsSpec),
          retry: Type.Optional(RetrySpec),
          cooldown: Type.Optional(CooldownSpec),
          pricing: Type.Optional(PricingSpec),
        },
        { additionalProperties: false },
      ),
    ),
    /** Alias → its deployments and policies. */
    models: Type.Record(Name, AliasSpec),
  },
  { additionalProperties: false },
)
export type CatalogSpec = Static<typeof CatalogSpec>

// ---- The normalized catalog the router runs on: every default filled in, secrets read. ----

export interface Timeouts {
  connectMs: number
  ttftMs: number
  idleMs: number
  totalMs: number
}

export interface Pricing {
  inputPerMillion: number
  outputPerMillion: number
}

export interface Deployment {
  id: string
  provider: string
  /** Empty for providers that need none (local). */
  baseUrl: string
  model: string
  apiKey: string | undefined
  headers: Record<string, string>
  weight: number
  /** Infinity when unlimited. */
  maxConcurrency: number
  timeouts: Timeouts
  pricing: Pricing
  options: Record<string, unknown>
}

export interface RetryPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  maxRetryAfterMs: number
}

export interface CooldownPolicy {
  baseMs: number
  maxMs: number
}

export interface Alias {
  name: string
  strategy: Strategy
  deployments: Deployment[]
  fallbacks: string[]
  fallbacksOn: Partial<Record<ErrorClass, string[]>>
  retry: RetryPolicy
  listed: boolean
  /** The dearest deployment's prices: what admission reserves against before one is chosen. */
  maxPricing: Pricing
}

export interface Catalog {
  aliases: ReadonlyMap<string, Alias>
  /** Every deployment by id. */
  deployments: ReadonlyMap<string, Deployment>
  cooldown: CooldownPolicy
}
