// Switchyard's Grafana dashboards as typed code (Grafana Foundation SDK): one per service, an
// overview and LLM cost. `node packages/switchyard/src/deploy/write-dashboards.ts` writes them to
// helm/switchyard/dashboards/, which the chart ships as ConfigMaps for the Grafana sidecar and
// docker-compose's Grafana mounts (deploy/grafana/dashboards links there). The tests check that
// the files are what this code builds and that every metric a query names is exported.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog'
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard'
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus'
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries'

/** The data source every dashboard reads: compose provisions it with this uid, as kube-prometheus-stack does. */
const prometheus = { type: 'prometheus', uid: 'prometheus' }
const rate = '$__rate_interval'
/** Every query is scoped to the namespaces picked (all by default; compose has no namespace label). */
const ns = 'namespace=~"$namespace"'

const query = (expr: string, legend: string): Builder<Dataquery> =>
  new DataqueryBuilder().expr(expr).legendFormat(legend).datasource(prometheus)

function timeseries(title: string, unit: string, ...targets: Builder<Dataquery>[]) {
  const panel = new TimeseriesBuilder().title(title).unit(unit).datasource(prometheus).height(8).span(12)
  for (const target of targets) panel.withTarget(target)
  return panel
}

function stat(title: string, unit: string, target: Builder<Dataquery>) {
  return new StatBuilder().title(title).unit(unit).datasource(prometheus).height(4).span(6).withTarget(target)
}

function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['switchyard'])
    .timezone('browser')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(
      new QueryVariableBuilder('namespace')
        .label('Namespace')
        .datasource(prometheus)
        .query('label_values(up{job="switchyard"}, namespace)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .includeAll(true)
        .allValue('.*')
        .multi(true),
    )
}

/** HTTP traffic and the process of one service (every service is a kit server with these). */
function servicePanels(builder: DashboardBuilder, service: string): DashboardBuilder {
  const sel = `service="${service}", ${ns}`
  return builder
    .withRow(new RowBuilder('HTTP'))
    .withPanel(
      timeseries(
        'Requests / s by route',
        'reqps',
        query(`sum by (route) (rate(http_request_duration_seconds_count{${sel}}[${rate}]))`, '{{route}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Responses / s by status',
        'reqps',
        query(`sum by (status) (rate(http_request_duration_seconds_count{${sel}}[${rate}]))`, '{{status}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Latency p95 by route',
        's',
        query(
          `histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{${sel}}[${rate}])))`,
          '{{route}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        '5xx ratio',
        'percentunit',
        query(
          `sum(rate(http_request_duration_seconds_count{${sel}, status=~"5.."}[${rate}])) / sum(rate(http_request_duration_seconds_count{${sel}}[${rate}]))`,
          '5xx',
        ),
      ),
    )
    .withRow(new RowBuilder('Process'))
    .withPanel(
      timeseries(
        'CPU (cores) by pod',
        'short',
        query(`sum by (instance) (rate(process_cpu_seconds_total{${sel}}[${rate}]))`, '{{instance}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Resident memory by pod',
        'bytes',
        query(`sum by (instance) (process_resident_memory_bytes{${sel}})`, '{{instance}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Event-loop lag p99 by pod',
        's',
        query(`max by (instance) (nodejs_eventloop_lag_p99_seconds{${sel}})`, '{{instance}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Heap used by pod',
        'bytes',
        query(`sum by (instance) (nodejs_heap_size_used_bytes{${sel}})`, '{{instance}}'),
      ),
    )
}

/** What a service publishes to and consumes from the bus (packages/events metrics). */
function eventPanels(builder: DashboardBuilder, service: string): DashboardBuilder {
  const sel = `service="${service}", ${ns}`
  return builder
    .withRow(new RowBuilder('Events'))
    .withPanel(
      timeseries(
        'Published / s by topic',
        'ops',
        query(`sum by (topic) (rate(events_published_total{${sel}}[${rate}]))`, '{{topic}}'),
        query(`sum by (topic) (rate(events_buffered_total{${sel}}[${rate}]))`, '{{topic}} (to outbox)'),
      ),
    )
    .withPanel(
      timeseries(
        'Handled / s by topic and group',
        'ops',
        query(`sum by (topic, group) (rate(events_consumed_total{${sel}}[${rate}]))`, '{{group}} {{topic}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Handler failures and dead letters / s',
        'ops',
        query(
          `sum by (topic, group) (rate(events_handler_failures_total{${sel}}[${rate}]))`,
          'failed {{group}} {{topic}}',
        ),
        query(
          `sum by (topic, group) (rate(events_dead_lettered_total{${sel}}[${rate}]))`,
          'dead-lettered {{group}} {{topic}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Outbox pending',
        'short',
        query(`sum by (instance) (events_outbox_pending{${sel}})`, '{{instance}}'),
      ),
    )
}

/** The llm-router's LLM metrics (packages/telemetry/src/llm-metrics.ts) and its cooldowns. */
function llmPanels(builder: DashboardBuilder): DashboardBuilder {
  return builder
    .withRow(new RowBuilder('LLM'))
    .withPanel(
      timeseries(
        'LLM requests / s by model',
        'reqps',
        query(`sum by (model) (rate(llm_requests_total{${ns}}[${rate}]))`, '{{model}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Errors / s by code',
        'reqps',
        query(`sum by (code) (rate(llm_errors_total{${ns}}[${rate}]))`, '{{code}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Time to first token p50 / p95 by model',
        's',
        query(
          `histogram_quantile(0.5, sum by (le, model) (rate(llm_time_to_first_token_seconds_bucket{${ns}}[${rate}])))`,
          'p50 {{model}}',
        ),
        query(
          `histogram_quantile(0.95, sum by (le, model) (rate(llm_time_to_first_token_seconds_bucket{${ns}}[${rate}])))`,
          'p95 {{model}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Request duration p95 by model',
        's',
        query(
          `histogram_quantile(0.95, sum by (le, model) (rate(llm_request_duration_seconds_bucket{${ns}}[${rate}])))`,
          '{{model}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Tokens / s by model and kind',
        'short',
        query(`sum by (model, kind) (rate(llm_tokens_total{${ns}}[${rate}]))`, '{{model}} {{kind}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Retries and fallbacks / s by deployment',
        'reqps',
        query(`sum by (deployment) (rate(llm_retries_total{${ns}}[${rate}]))`, '{{deployment}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Deployments in cooldown',
        'short',
        query(
          `max by (model, deployment) (llm_router_deployment_cooldown{${ns}})`,
          '{{model}} / {{deployment}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Requests / s by deployment',
        'reqps',
        query(
          `sum by (deployment, provider) (rate(llm_requests_total{${ns}}[${rate}]))`,
          '{{provider}} {{deployment}}',
        ),
      ),
    )
}

/** Each service, what it reads from the bus or writes to it. */
const services = {
  gateway: { title: 'Gateway', events: true, about: 'the public edge: authentication, rate limits, routing' },
  'llm-router': {
    title: 'LLM router',
    events: true,
    about: 'routing to vLLM, Ollama and APIs; usage events',
  },
  chat: { title: 'Chat', events: true, about: 'conversations; chat.messages.v1' },
  agent: { title: 'Agent', events: true, about: 'agent runs; agent.runs.v1' },
  rag: { title: 'RAG', events: true, about: 'files and vector stores; rag.ingest.v1 out' },
  'rag-worker': {
    title: 'RAG worker',
    events: true,
    about: 'ingestion: rag.ingest.v1 in, rag.documents.v1 out',
  },
  admin: { title: 'Admin', events: true, about: 'orgs, keys, budgets; admin.config.v1 out, llm.usage.v1 in' },
} as const

function serviceDashboard(name: keyof typeof services): Dashboard {
  const { title, events, about } = services[name]
  let builder = servicePanels(
    dashboard(`switchyard-${name}`, `Switchyard / ${title}`, `The ${name} service: ${about}.`),
    name,
  )
  if (name === 'llm-router') builder = llmPanels(builder)
  if (events) builder = eventPanels(builder, name)
  return builder.build()
}

function overview(): Dashboard {
  const byService = (expr: string) => query(expr, '{{service}}')
  return dashboard(
    'switchyard-overview',
    'Switchyard / Overview',
    'Every service at a glance: up, traffic, errors, latency, SLO burn, LLM traffic.',
  )
    .withPanel(stat('Targets up', 'none', query(`sum(up{job="switchyard", ${ns}})`, 'up')))
    .withPanel(
      stat('Targets down', 'none', query(`count(up{job="switchyard", ${ns}} == 0) or vector(0)`, 'down')),
    )
    .withPanel(
      stat('LLM requests / s', 'reqps', query(`sum(rate(llm_requests_total{${ns}}[${rate}]))`, 'requests')),
    )
    .withPanel(
      stat(
        'LLM cost (USD / hour)',
        'currencyUSD',
        query(`sum(rate(llm_cost_dollars_total{${ns}}[${rate}])) * 3600`, 'cost'),
      ),
    )
    .withPanel(
      timeseries(
        'Requests / s by service',
        'reqps',
        byService(`sum by (service) (rate(http_request_duration_seconds_count{${ns}}[${rate}]))`),
      ),
    )
    .withPanel(
      timeseries(
        '5xx ratio by service',
        'percentunit',
        byService(
          `sum by (service) (rate(http_request_duration_seconds_count{${ns}, status=~"5.."}[${rate}])) / sum by (service) (rate(http_request_duration_seconds_count{${ns}}[${rate}]))`,
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Latency p95 by service',
        's',
        byService(
          `histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket{${ns}}[${rate}])))`,
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Error-budget burn (1 h) by service',
        'short',
        byService(`switchyard:http_error_ratio:rate1h{${ns}} / 0.005`),
      ),
    )
    .withPanel(
      timeseries(
        'TTFT budget burn (1 h) by model',
        'short',
        query(`switchyard:llm_ttft_slow_ratio:rate1h{${ns}} / 0.05`, '{{model}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Time to first token p95 by model',
        's',
        query(
          `histogram_quantile(0.95, sum by (le, model) (rate(llm_time_to_first_token_seconds_bucket{${ns}}[${rate}])))`,
          '{{model}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'vLLM requests waiting by pod',
        'short',
        query(`sum by (pod) (vllm:num_requests_waiting{${ns}})`, '{{pod}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Events dead-lettered / s by topic',
        'ops',
        query(`sum by (topic) (rate(events_dead_lettered_total{${ns}}[${rate}]))`, '{{topic}}'),
      ),
    )
    .build()
}

function llmCost(): Dashboard {
  const range = '$__range'
  return dashboard(
    'switchyard-llm-cost',
    'Switchyard / LLM cost',
    'What the LLM traffic costs, from the catalog prices: by org, model and deployment. Orgs outside LLM_ROUTER_METRICS_ORGS show as "other".',
  )
    .withPanel(
      stat(
        'Cost over the range (USD)',
        'currencyUSD',
        query(`sum(increase(llm_cost_dollars_total{${ns}}[${range}]))`, 'cost'),
      ),
    )
    .withPanel(
      stat(
        'Cost now (USD / hour)',
        'currencyUSD',
        query(`sum(rate(llm_cost_dollars_total{${ns}}[${rate}])) * 3600`, 'cost'),
      ),
    )
    .withPanel(
      stat(
        'Tokens over the range',
        'short',
        query(`sum(increase(llm_tokens_total{${ns}}[${range}]))`, 'tokens'),
      ),
    )
    .withPanel(
      stat(
        'Cost per 1k requests (USD)',
        'currencyUSD',
        query(
          `sum(increase(llm_cost_dollars_total{${ns}}[${range}])) / sum(increase(llm_requests_total{${ns}}[${range}])) * 1000`,
          'per 1k',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Cost (USD / hour) by org',
        'currencyUSD',
        query(`sum by (org) (rate(llm_cost_dollars_total{${ns}}[${rate}])) * 3600`, '{{org}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Cost (USD / hour) by model',
        'currencyUSD',
        query(`sum by (model) (rate(llm_cost_dollars_total{${ns}}[${rate}])) * 3600`, '{{model}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Cost (USD / hour) by deployment',
        'currencyUSD',
        query(
          `sum by (deployment, provider) (rate(llm_cost_dollars_total{${ns}}[${rate}])) * 3600`,
          '{{provider}} {{deployment}}',
        ),
      ),
    )
    .withPanel(
      timeseries(
        'Tokens / s by org and kind',
        'short',
        query(`sum by (org, kind) (rate(llm_tokens_total{${ns}}[${rate}]))`, '{{org}} {{kind}}'),
      ),
    )
    .withPanel(
      timeseries(
        'Requests refused for budget / s by org',
        'reqps',
        query(
          `sum by (org) (rate(llm_errors_total{${ns}, code="LLM_ROUTER_ERR_BUDGET_EXCEEDED"}[${rate}]))`,
          '{{org}}',
        ),
      ),
    )
    .build()
}

/** Every dashboard by file name, in the order the files are written. */
export function buildDashboards(): Record<string, Dashboard> {
  const all: Record<string, Dashboard> = {
    'switchyard-overview.json': overview(),
    'switchyard-llm-cost.json': llmCost(),
  }
  for (const name of Object.keys(services) as (keyof typeof services)[])
    all[`switchyard-${name}.json`] = serviceDashboard(name)
  // The builders leave every id 0; Grafana keys panel links and state by id.
  for (const built of Object.values(all))
    for (const [i, panel] of (built.panels ?? []).entries()) panel.id = i + 1
  return all
}

/** A dashboard file's text: two-space JSON and a final newline, as the formatter leaves it. */
export function dashboardFile(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`
}
