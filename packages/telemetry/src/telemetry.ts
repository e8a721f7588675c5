import type { IncomingMessage } from 'node:http'
import { context, propagation, trace } from '@opentelemetry/api'
import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node'
import type { NodeSDK } from '@opentelemetry/sdk-node'
import type { Logger } from 'pino'

export interface TelemetryOptions {
  /** `service.name` on every span: the service, or `switchyard` for the all-in-one process. */
  serviceName: string
  /**
   * OTLP/HTTP collector base URL, e.g. `http://otel-collector:4318`; spans go to `<it>/v1/traces`
   * (a URL that already ends in `/v1/traces` is used as is). Absent or empty: tracing is off.
   */
  otlpEndpoint?: string | undefined
  logger?: Logger
}

export interface TelemetryHandle {
  /** Whether an SDK was started. */
  readonly enabled: boolean
  /** Flushes pending spans and stops exporting. Never rejects; safe to call more than once. */
  shutdown(): Promise<void>
}

/** Probe and scrape paths: a span per kubelet probe or Prometheus scrape is noise. */
const quietPaths = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * Every instrumentation the meta-package bundles and whether it runs. Exhaustive on purpose: an
 * upgrade that adds one fails typecheck here until someone decides. Off unless we use the library,
 * fs above all (a span per file read). Fastify is not in the meta-package; @fastify/otel covers it.
 */
const bundled: Record<keyof InstrumentationConfigMap, boolean> = {
  '@opentelemetry/instrumentation-http': true,
  '@opentelemetry/instrumentation-pg': true,
  '@opentelemetry/instrumentation-ioredis': true,
  '@opentelemetry/instrumentation-kafkajs': true,
  '@opentelemetry/instrumentation-cassandra-driver': true,
  '@opentelemetry/instrumentation-amqplib': false,
  '@opentelemetry/instrumentation-aws-lambda': false,
  '@opentelemetry/instrumentation-aws-sdk': false,
  '@opentelemetry/instrumentation-bunyan': false,
  '@opentelemetry/instrumentation-connect': false,
  '@opentelemetry/instrumentation-cucumber': false,
  '@opentelemetry/instrumentation-dataloader': false,
  '@opentelemetry/instrumentation-dns': false,
  '@opentelemetry/instrumentation-express': false,
  '@opentelemetry/instrumentation-fs': false,
  '@opentelemetry/instrumentation-generic-pool': false,
  '@opentelemetry/instrumentation-graphql': false,
  '@opentelemetry/instrumentation-grpc': false,
  '@opentelemetry/instrumentation-hapi': false,
  '@opentelemetry/instrumentation-host-metrics': false,
  '@opentelemetry/instrumentation-knex': false,
  '@opentelemetry/instrumentation-koa': false,
  '@opentelemetry/instrumentation-lru-memoizer': false,
  '@opentelemetry/instrumentation-memcached': false,
  '@opentelemetry/instrumentation-mongodb': false,
  '@opentelemetry/instrumentation-mongoose': false,
  '@opentelemetry/instrumentation-mysql2': false,
  '@opentelemetry/instrumentation-mysql': false,
  '@opentelemetry/instrumentation-nestjs-core': false,
  '@opentelemetry/instrumentation-net': false,
  '@opentelemetry/instrumentation-openai': false,
  '@opentelemetry/instrumentation-oracledb': false,
  // pino: our logger's mixin already writes trace_id and span_id.
  '@opentelemetry/instrumentation-pino': false,
  '@opentelemetry/instrumentation-redis': false,
  '@opentelemetry/instrumentation-restify': false,
  '@opentelemetry/instrumentation-router': false,
  '@opentelemetry/instrumentation-runtime-node': false,
  '@opentelemetry/instrumentation-socket.io': false,
  '@opentelemetry/instrumentation-tedious': false,
  // Global fetch (the openai client, upstream calls) runs on undici: without it outgoing calls carry no
  // traceparent and a trace stops at the first service-to-service hop.
  '@opentelemetry/instrumentation-undici': true,
  '@opentelemetry/instrumentation-winston': false,
}

/** The instrumentations that run: http and undici (fetch), fastify, pg, ioredis, kafkajs, cassandra-driver. */
export const enabledInstrumentations = [
  ...Object.entries(bundled)
    .filter(([, on]) => on)
    .map(([name]) => name),
  '@fastify/otel',
]

function instrumentationConfig(): InstrumentationConfigMap {
  const config: InstrumentationConfigMap = Object.fromEntries(
    Object.entries(bundled).map(([name, enabled]) => [name, { enabled }]),
  )
  config['@opentelemetry/instrumentation-http'] = {
    enabled: true,
    ignoreIncomingRequestHook: (request: IncomingMessage) =>
      quietPaths.has((request.url ?? '').split('?')[0] ?? ''),
  }
  return config
}

export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '')
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`
}

let running: NodeSDK | undefined

/**
 * Starts OpenTelemetry tracing with an OTLP/HTTP exporter and the instrumentations above, or does
 * nothing (a no-op handle) when no endpoint is given. Call it first, before the instrumented modules
 * (pg, ioredis, kafkajs, cassandra-driver, http) are loaded: it patches them as they load. Metrics stay
 * with prom-client and logs with pino; the SDK exports neither.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  const { serviceName, otlpEndpoint, logger } = options
  if (!otlpEndpoint) {
    logger?.debug('tracing off: no OTLP endpoint configured')
    return { enabled: false, shutdown: async () => {} }
  }
  if (running)
    throw new Error('startTelemetry: already started in this process; start it once, in the runtime')

  // Loaded here, not at the top: the SDK and its instrumentations cost ~0.8 s of CPU to import,
  // which every process paid at start even with tracing off.
  const [
    { FastifyOtelInstrumentation },
    { getNodeAutoInstrumentations },
    { OTLPTraceExporter },
    { NodeSDK },
  ] = await Promise.all([
    import('@fastify/otel'),
    import('@opentelemetry/auto-instrumentations-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-node'),
  ])
  if (running)
    throw new Error('startTelemetry: already started in this process; start it once, in the runtime')
  const sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter({ url: tracesUrl(otlpEndpoint) }),
    instrumentations: [
      getNodeAutoInstrumentations(instrumentationConfig()),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => quietPaths.has(url),
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  })
  sdk.start()
  running = sdk
  logger?.info(
    { otlpEndpoint: tracesUrl(otlpEndpoint), instrumentations: enabledInstrumentations },
    'tracing on',
  )

  let stopped: Promise<void> | undefined
  return {
    enabled: true,
    shutdown() {
      // A collector that is gone must not fail the process's shutdown: log and go on.
      stopped ??= sdk
        .shutdown()
        .catch((error: unknown) => logger?.warn({ err: error }, 'tracing: spans lost at shutdown'))
        .finally(() => {
          // NodeSDK leaves its providers registered; release them so a later start takes effect.
          trace.disable()
          context.disable()
          propagation.disable()
          if (running === sdk) running = undefined
        })
      return stopped
    },
  }
}
