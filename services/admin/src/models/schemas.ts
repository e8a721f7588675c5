import { type Static, Type } from 'typebox'

// The platform's model catalog, in the llm-router's terms (services/llm-router/src/catalog/schema.ts):
// what admin stores is what `GET /admin/v1/internal/catalog` and the `routes` event hand the router.

/** An alias or deployment id, as the router accepts them. Slashes go URL-encoded in paths. */
export const CatalogName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$' })

export const Strategy = Type.Union([
  Type.Literal('weighted-round-robin'),
  Type.Literal('least-in-flight'),
  Type.Literal('lowest-latency'),
])

export const Price = Type.Object({
  /** US dollars per million prompt tokens. */
  inputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }),
  /** US dollars per million completion tokens. */
  outputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }),
  /** From when it applies; a price applies until the next one's effectiveFrom. */
  effectiveFrom: Type.String({ format: 'date-time' }),
})
export type Price = Static<typeof Price>

export const NewPrice = Type.Object(
  {
    inputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }),
    outputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }),
    /** Default: now. A future date schedules a price change. */
    effectiveFrom: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
export type NewPrice = Static<typeof NewPrice>

const deploymentFields = {
  /** Key in the router's provider registry: openai, ollama, local. */
  provider: Type.String({ minLength: 1, maxLength: 50 }),
  /** `http://vllm:8000/v1` for openai, `http://ollama:11434` for ollama; none for local. */
  baseUrl: Type.String({ minLength: 1, maxLength: 2000 }),
  /** The model name the upstream knows. */
  model: Type.String({ minLength: 1, maxLength: 300 }),
  /** Share of traffic under weighted round robin; 0 drains it. */
  weight: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  /** Requests in flight before it counts as saturated. */
  maxConcurrency: Type.Integer({ minimum: 1 }),
  /** Path of a mounted file holding the upstream's bearer token (secrets never enter the database). */
  apiKeyFile: Type.String({ minLength: 1, maxLength: 1000 }),
  /** Provider-specific settings, passed as is. */
  options: Type.Record(Type.String(), Type.Unknown()),
}

export const Deployment = Type.Object({
  id: Type.String(),
  provider: deploymentFields.provider,
  baseUrl: Type.Union([Type.String(), Type.Null()]),
  model: Type.String(),
  weight: Type.Integer(),
  maxConcurrency: Type.Union([Type.Integer(), Type.Null()]),
  apiKeyFile: Type.Union([Type.String(), Type.Null()]),
  options: deploymentFields.options,
})
export type Deployment = Static<typeof Deployment>

export const NewDeployment = Type.Object(
  {
    /** Unique in the whole catalog. */
    id: CatalogName,
    provider: deploymentFields.provider,
    baseUrl: Type.Optional(deploymentFields.baseUrl),
    model: deploymentFields.model,
    weight: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1 }),
    maxConcurrency: Type.Optional(deploymentFields.maxConcurrency),
    apiKeyFile: Type.Optional(deploymentFields.apiKeyFile),
    options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
)
export type NewDeployment = Static<typeof NewDeployment>

export const UpdateDeployment = Type.Object(
  {
    provider: Type.Optional(deploymentFields.provider),
    baseUrl: Type.Optional(Type.Union([deploymentFields.baseUrl, Type.Null()])),
    model: Type.Optional(deploymentFields.model),
    weight: Type.Optional(deploymentFields.weight),
    maxConcurrency: Type.Optional(Type.Union([deploymentFields.maxConcurrency, Type.Null()])),
    apiKeyFile: Type.Optional(Type.Union([deploymentFields.apiKeyFile, Type.Null()])),
    options: Type.Optional(deploymentFields.options),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateDeployment = Static<typeof UpdateDeployment>

export const Model = Type.Object({
  alias: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  strategy: Strategy,
  /** false: usable (as a fallback, say) but not listed by GET /v1/models. */
  listed: Type.Boolean(),
  fallbacks: Type.Array(Type.String()),
  /** The price in force now; null when none is set yet. */
  price: Type.Union([Price, Type.Null()]),
  /** Shown to the operator org only: where requests go is the platform's business. */
  deployments: Type.Optional(Type.Array(Deployment)),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Model = Static<typeof Model>

export const NewModel = Type.Object(
  {
    alias: CatalogName,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    strategy: Type.Optional(Strategy),
    listed: Type.Boolean({ default: true }),
    /** Aliases tried in order once this one's deployments are exhausted; each must exist. */
    fallbacks: Type.Array(CatalogName, { maxItems: 20, default: [] }),
    deployments: Type.Array(NewDeployment, { maxItems: 100, default: [] }),
    price: Type.Optional(NewPrice),
  },
  { additionalProperties: false },
)
export type NewModel = Static<typeof NewModel>

export const UpdateModel = Type.Object(
  {
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    strategy: Type.Optional(Strategy),
    listed: Type.Optional(Type.Boolean()),
    fallbacks: Type.Optional(Type.Array(CatalogName, { maxItems: 20 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateModel = Static<typeof UpdateModel>

export const ModelParams = Type.Object({ alias: CatalogName })
export const DeploymentParams = Type.Object({ alias: CatalogName, deploymentId: CatalogName })
