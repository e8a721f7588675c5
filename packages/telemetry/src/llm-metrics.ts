import { Counter, Histogram, type Registry } from 'prom-client'

/** Labels of every LLM metric. `org` is the raw org id: the allow-list maps it before it is used. */
export interface LlmLabels {
  /** The model alias the caller asked for; only aliases the router knows, so the set stays bounded. */
  model: string
  deployment: string
  provider: string
  org: string
}

/** One finished request (or stream), success or not. */
export interface LlmRequestResult {
  durationSeconds: number
  /** Time to first token, seconds; null or absent when nothing was streamed. */
  ttftSeconds?: number | null
  inputTokens: number
  outputTokens: number
  costUsd: number
  /** The error code the caller saw; absent or null on success. */
  errorCode?: string | null
}

export interface LlmMetricsOptions {
  /**
   * Orgs that get their own `org` label value; every other org is counted as `other`, so the number of
   * series stays bounded however many tenants there are. A Set is read live: changing it (on an
   * admin.config event, say) takes effect on the next observation.
   */
  orgAllowList: ReadonlySet<string> | readonly string[]
}

export interface LlmMetrics {
  /** The label value an org gets: itself when allowed, else `other`. */
  orgLabel(org: string): string
  /** Counts a finished request and records its duration, time to first token, tokens, cost and error. */
  recordRequest(labels: LlmLabels, result: LlmRequestResult): void
  /** Counts one retry (an attempt after the first) against the deployment in `labels`. */
  recordRetry(labels: LlmLabels): void
}

type Base = 'model' | 'deployment' | 'provider' | 'org'
const base: Base[] = ['model', 'deployment', 'provider', 'org']

/** Every metric name this module defines, as the Grafana dashboards and alert rules read them. */
export const llmMetricNames = {
  requestDuration: 'llm_request_duration_seconds',
  timeToFirstToken: 'llm_time_to_first_token_seconds',
  requests: 'llm_requests_total',
  tokens: 'llm_tokens_total',
  cost: 'llm_cost_dollars_total',
  errors: 'llm_errors_total',
  retries: 'llm_retries_total',
} as const

/**
 * Defines the router's LLM metrics on `registry` (once per registry: a second call reuses them) and
 * returns recorders that apply the org allow-list.
 */
export function createLlmMetrics(registry: Registry, options: LlmMetricsOptions): LlmMetrics {
  const allowed: ReadonlySet<string> = Array.isArray(options.orgAllowList)
    ? new Set(options.orgAllowList)
    : (options.orgAllowList as ReadonlySet<string>)
  const registers = [registry]

  const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: L[]) =>
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram({ name, help, buckets, labelNames, registers })
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers })

  const requestDuration = histogram(
    llmMetricNames.requestDuration,
    'LLM request duration, from request received to last byte sent, in seconds.',
    [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300],
    base,
  )
  const timeToFirstToken = histogram(
    llmMetricNames.timeToFirstToken,
    'Time from request received to the first streamed token, in seconds.',
    [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
    base,
  )
  const requests = counter(llmMetricNames.requests, 'LLM requests finished, successful or not.', base)
  const tokens = counter(llmMetricNames.tokens, 'Tokens processed, by kind (input or output).', [
    ...base,
    'kind',
  ])
  const cost = counter(llmMetricNames.cost, 'Price of the tokens processed, in US dollars.', base)
  const errors = counter(llmMetricNames.errors, 'LLM requests that failed, by error code.', [...base, 'code'])
  const retries = counter(
    llmMetricNames.retries,
    'Upstream attempts after the first (retries and fallbacks).',
    base,
  )

  const orgLabel = (org: string): string => (allowed.has(org) ? org : 'other')
  const bounded = (labels: LlmLabels): Record<Base, string> => ({
    model: labels.model,
    deployment: labels.deployment,
    provider: labels.provider,
    org: orgLabel(labels.org),
  })

  return {
    orgLabel,
    recordRequest(labels, result) {
      const l = bounded(labels)
      requests.inc(l)
      requestDuration.observe(l, result.durationSeconds)
      if (result.ttftSeconds !== undefined && result.ttftSeconds !== null)
        timeToFirstToken.observe(l, result.ttftSeconds)
      if (result.inputTokens > 0) tokens.inc({ ...l, kind: 'input' }, result.inputTokens)
      if (result.outputTokens > 0) tokens.inc({ ...l, kind: 'output' }, result.outputTokens)
      if (result.costUsd > 0) cost.inc(l, result.costUsd)
      if (result.errorCode) errors.inc({ ...l, code: result.errorCode })
    },
    recordRetry(labels) {
      retries.inc(bounded(labels))
    },
  }
}
