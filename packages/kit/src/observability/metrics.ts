import { KeyedHistogram } from '@switchyard/telemetry'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'

const durationMetric = 'http_request_duration_seconds'

/** Seconds; up to minutes because a streamed completion is one long request. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

/** `GET /metrics` from the registry, and a request-duration histogram fed by every response. */
export function installMetrics(app: FastifyInstance, registry: Registry): void {
  // Reused when a second server shares the registry (tests, the one-process shape's restarts).
  const shared = registry.getSingleMetric(durationMetric) as unknown
  const duration =
    shared instanceof KeyedHistogram
      ? (shared as KeyedHistogram<'route' | 'method' | 'status'>)
      : new KeyedHistogram({
          name: durationMetric,
          help: 'HTTP request duration in seconds, by route template, method and status code.',
          labelNames: ['route', 'method', 'status'] as const,
          buckets: durationBuckets,
          registers: [registry],
        })

  app.addHook('onResponse', (request, reply, done) => {
    // The route template, not the URL: one series per route whatever the ids in the path.
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched')
    // labels() finds a kept series by one string key: no cache of our own needed here.
    duration.labels(route, request.method, String(reply.statusCode)).observe(reply.elapsedTime / 1000)
    done()
  })

  app.get(
    '/metrics',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: { tags: ['kit'], summary: 'Prometheus metrics', hide: true },
    },
    async (_request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}
