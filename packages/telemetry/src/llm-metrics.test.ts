import { type MetricValueWithName, Registry } from 'prom-client'
import { expect, test } from 'vitest'
import { createLlmMetrics, type LlmLabels, llmMetricNames } from './llm-metrics.ts'

const labels = (org: string): LlmLabels => ({
  model: 'llama-3.1-8b',
  deployment: 'vllm-a',
  provider: 'vllm',
  org,
})

async function values(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`${name} is not registered`)
  // Histograms add metricName (_bucket, _sum, _count) to each value; counters leave it out.
  return (await metric.get()).values as MetricValueWithName<string>[]
}

test('exactly the seven LLM metrics are defined, with their types', async () => {
  const registry = new Registry()
  createLlmMetrics(registry, { orgAllowList: [] })
  const metrics = await registry.getMetricsAsJSON()
  expect(Object.fromEntries(metrics.map((m) => [m.name, m.type]))).toEqual({
    [llmMetricNames.requestDuration]: 'histogram',
    [llmMetricNames.timeToFirstToken]: 'histogram',
    [llmMetricNames.requests]: 'counter',
    [llmMetricNames.tokens]: 'counter',
    [llmMetricNames.cost]: 'counter',
    [llmMetricNames.errors]: 'counter',
    [llmMetricNames.retries]: 'counter',
  })
})

test('an org on the allow-list keeps its label; an unknown org becomes other', async () => {
  const registry = new Registry()
  const metrics = createLlmMetrics(registry, { orgAllowList: ['org_big'] })
  expect(metrics.orgLabel('org_big')).toBe('org_big')
  expect(metrics.orgLabel('org_small')).toBe('other')
  metrics.recordRequest(labels('org_big'), {
    durationSeconds: 1,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
  })
  metrics.recordRequest(labels('org_small'), {
    durationSeconds: 1,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
  })
  metrics.recordRequest(labels('org_tiny'), {
    durationSeconds: 1,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0,
  })
  const requests = await values(registry, llmMetricNames.requests)
  expect(Object.fromEntries(requests.map((v) => [v.labels.org, v.value]))).toEqual({ org_big: 1, other: 2 })
})

test('a request records tokens by kind, cost, duration, time to first token and its error code', async () => {
  const registry = new Registry()
  const metrics = createLlmMetrics(registry, { orgAllowList: new Set(['org_1']) })
  const results = [
    { durationSeconds: 0.8, ttftSeconds: 0.12, inputTokens: 100, outputTokens: 40, costUsd: 0.0021 },
    {
      durationSeconds: 2.5,
      ttftSeconds: null,
      inputTokens: 300,
      outputTokens: 0,
      costUsd: 0.003,
      errorCode: 'X',
    },
  ]
  for (const result of results) metrics.recordRequest(labels('org_1'), result)
  metrics.recordRetry(labels('org_1'))

  const sum = (pick: (r: (typeof results)[number]) => number) =>
    results.reduce((total, r) => total + pick(r), 0)
  const tokens = await values(registry, llmMetricNames.tokens)
  expect(Object.fromEntries(tokens.map((v) => [v.labels.kind, v.value]))).toEqual({
    input: sum((r) => r.inputTokens),
    output: sum((r) => r.outputTokens),
  })
  const [cost] = await values(registry, llmMetricNames.cost)
  expect(cost?.value).toBeCloseTo(
    sum((r) => r.costUsd),
    10,
  )
  const duration = await values(registry, llmMetricNames.requestDuration)
  expect(duration.find((v) => v.metricName === `${llmMetricNames.requestDuration}_count`)?.value).toBe(
    results.length,
  )
  const ttft = await values(registry, llmMetricNames.timeToFirstToken)
  const streamed = results.filter((r) => r.ttftSeconds !== null).length
  expect(ttft.find((v) => v.metricName === `${llmMetricNames.timeToFirstToken}_count`)?.value).toBe(streamed)
  const errors = await values(registry, llmMetricNames.errors)
  expect(errors.map((v) => [v.labels.code, v.value])).toEqual([['X', 1]])
  const [retries] = await values(registry, llmMetricNames.retries)
  expect(retries?.labels).toEqual({ ...labels('org_1') })
  expect(retries?.value).toBe(1)
})

test('creating the metrics twice on one registry reuses them, each with its own allow-list', async () => {
  const registry = new Registry()
  const first = createLlmMetrics(registry, { orgAllowList: ['a'] })
  const second = createLlmMetrics(registry, { orgAllowList: ['b'] })
  first.recordRetry(labels('a'))
  second.recordRetry(labels('a'))
  const retries = await values(registry, llmMetricNames.retries)
  expect(Object.fromEntries(retries.map((v) => [v.labels.org, v.value]))).toEqual({ a: 1, other: 1 })
})

test('an allow-list given as a Set is read live', () => {
  const allowed = new Set<string>()
  const metrics = createLlmMetrics(new Registry(), { orgAllowList: allowed })
  expect(metrics.orgLabel('org_new')).toBe('other')
  allowed.add('org_new')
  expect(metrics.orgLabel('org_new')).toBe('org_new')
})
