import { describe, expect, test } from 'vitest'
import { exportedMetricNames, externalMetrics } from './exported-metrics.ts'
import { dashboardFiles, dashboardQueries, ruleQueries } from './observability-files.ts'
import { metricNamesIn, PromqlParseError } from './promql-names.ts'

describe('metric names in PromQL', () => {
  test('are found in functions, aggregations, binary operations and __name__ matchers', () => {
    const expr =
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x=~"$namespace"}[$__rate_interval]))) / on() b:c + {__name__="d"} or {__name__=~"e.*"} + vector(1)'
    expect([...metricNamesIn(expr)].sort()).toEqual(['a_bucket', 'b:c', 'd'])
  })

  test('a query that does not parse is an error, not a query without names', () => {
    expect(() => metricNamesIn('sum(rate(a_total[5m])')).toThrow(PromqlParseError)
  })
})

describe('every metric the dashboards and alert rules name', () => {
  const rules = ruleQueries()
  const queries = [...dashboardQueries(), ...rules.queries]

  test('is exported by the code, recorded by the rules, or from a listed exporter', async () => {
    const exported = await exportedMetricNames()
    const missing = queries.flatMap(({ file, where, expr }) =>
      [...metricNamesIn(expr)]
        .filter((name) => !exported.has(name) && !rules.recorded.has(name) && !(name in externalMetrics))
        .map((name) => `${file} ${where}: ${name}`),
    )
    expect(missing).toEqual([])
    // The set is real: it holds the kit's, the router's and the bus's metrics.
    for (const name of [
      'http_request_duration_seconds_bucket',
      'llm_requests_total',
      'llm_router_deployment_cooldown',
      'events_dead_lettered_total',
    ])
      expect(exported).toContain(name)
  })

  test('every dashboard and rule file holds queries (the walk finds them)', () => {
    const files = new Set(queries.map(({ file }) => file))
    for (const file of Object.keys(dashboardFiles())) expect(files).toContain(file)
    expect(rules.queries.length).toBeGreaterThan(10)
  })

  test('each external metric listed is used, so the list cannot go stale', () => {
    const used = new Set(queries.flatMap(({ expr }) => [...metricNamesIn(expr)]))
    expect(Object.keys(externalMetrics).filter((name) => !used.has(name))).toEqual([])
  })

  test('each recording rule is used by an alert or a dashboard', () => {
    const used = new Set(queries.flatMap(({ expr }) => [...metricNamesIn(expr)]))
    expect([...rules.recorded].filter((name) => !used.has(name))).toEqual([])
  })
})
