import type { Registry } from 'prom-client'
import { type CounterSeries, type HistogramSeries, KeyedCounter, KeyedHistogram } from './keyed-metrics.ts'

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

/** The series of one label set, looked up once per request by a single key. */
interface LlmSeries {
  requests: CounterSeries
  duration: HistogramSeries
  ttft: HistogramSeries
  inputTokens: CounterSeries
  outputTokens: CounterSeries
  cost: CounterSeries
  retries: CounterSeries
  errors: Map<string, CounterSeries>
}

/**
 * Defines the router's LLM metrics on `registry` (once per registry: a second call reuses them) and
 * returns recorders that apply the org allow-list.
 */
export function createLlmMetrics(registry: Registry, options: LlmMetricsOptions): LlmMetrics {
  const allowed: ReadonlySet<string> = Array.isArray(options.orgAllowList)
    ? new Set(options.orgAllowList)
    : (options.orgAllowList as ReadonlySet<string>)
  const registers = [registry]

  const existing = <M>(name: string, kind: abstract new (...args: never[]) => M): M | undefined => {
    const metric = registry.getSingleMetric(name) as unknown
    if (metric === undefined) return undefined
    if (metric instanceof kind) return metric
    throw new TypeError(`${name} is already registered as another kind of metric`)
  }
  const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: L[]) =>
    existing<KeyedHistogram<L>>(name, KeyedHistogram) ??
    new KeyedHistogram({ name, help, buckets, labelNames, registers })
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    existing<KeyedCounter<L>>(name, KeyedCounter) ?? new KeyedCounter({ name, help, labelNames, registers })

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
  // Bounded: aliases are the catalog's, deployments and providers too, orgs pass the allow-list.
  const seriesByLabels = new Map<string, LlmSeries>()
  const seriesOf = (labels: LlmLabels): LlmSeries => {
    const org = orgLabel(labels.org)
    const key = `${labels.model}\u0000${labels.deployment}\u0000${labels.provider}\u0000${org}`
    let series = seriesByLabels.get(key)
    if (series === undefined) {
      const values = [labels.model, labels.deployment, labels.provider, org]
      series = {
        requests: requests.labels(...values),
        duration: requestDuration.labels(...values),
        ttft: timeToFirstToken.labels(...values),
        inputTokens: tokens.labels(...values, 'input'),
        outputTokens: tokens.labels(...values, 'output'),
        cost: cost.labels(...values),
        retries: retries.labels(...values),
        errors: new Map(),
      }
      seriesByLabels.set(key, series)
    }
    return series
  }

  return {
    orgLabel,
    recordRequest(labels, result) {
      const series = seriesOf(labels)
      series.requests.inc()
      series.duration.observe(result.durationSeconds)
      if (result.ttftSeconds !== undefined && result.ttftSeconds !== null)
        series.ttft.observe(result.ttftSeconds)
      if (result.inputTokens > 0) series.inputTokens.inc(result.inputTokens)
      if (result.outputTokens > 0) series.outputTokens.inc(result.outputTokens)
      if (result.costUsd > 0) series.cost.inc(result.costUsd)
      if (result.errorCode) {
        let counted = series.errors.get(result.errorCode)
        if (counted === undefined) {
          counted = errors.labels(
            labels.model,
            labels.deployment,
            labels.provider,
            orgLabel(labels.org),
            result.errorCode,
          )
          series.errors.set(result.errorCode, counted)
        }
        counted.inc()
      }
    },
    recordRetry(labels) {
      seriesOf(labels).retries.inc()
    },
  }
}
