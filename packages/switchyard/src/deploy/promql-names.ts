// Metric names in a PromQL expression, read with Prometheus's own grammar (@prometheus-io/lezer-promql,
// the parser of Prometheus's web UI), so names inside functions, aggregations, `__name__` matchers
// and binary operations are all found, and a query that does not parse is an error, not a miss.
import { parser } from '@prometheus-io/lezer-promql'

/** Grafana's built-in interval variables stand for a duration; the parser needs one. */
const grafanaDurations =
  /\$(?:__rate_interval|__interval|__range)\b|\$\{(?:__rate_interval|__interval|__range)\}/g
/** Dashboard variables (`$namespace`, `${namespace}`) stand inside label matchers: any value parses. */
const dashboardVariable = /\$\{?[A-Za-z_]\w*\}?/g

export class PromqlParseError extends Error {}

/** The metric names `expr` selects. Throws PromqlParseError with the position of the first syntax error. */
export function metricNamesIn(expr: string): Set<string> {
  const text = expr.replace(grafanaDurations, '5m').replace(dashboardVariable, 'x')
  const names = new Set<string>()
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError)
        throw new PromqlParseError(
          `PromQL syntax error at ${node.from} in: ${text.slice(0, node.from)} ⟨here⟩ ${text.slice(node.from)}`,
        )
      if (node.name !== 'VectorSelector') return
      const name = node.node.getChild('Identifier')
      if (name !== null) names.add(text.slice(name.from, name.to))
      // {__name__="x"}: the name as a label matcher (only an exact match names one metric).
      for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName')
        const op = matcher.getChild('MatchOp')
        const value = matcher.getChild('StringLiteral')
        if (
          label &&
          op &&
          value &&
          text.slice(label.from, label.to) === '__name__' &&
          text.slice(op.from, op.to) === '='
        )
          names.add(text.slice(value.from + 1, value.to - 1))
      }
    },
  })
  return names
}
