import { createHash, timingSafeEqual } from 'node:crypto'
import { KeyedHistogram } from '@switchyard/telemetry'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import { kitErrors } from '../errors/errors.ts'

/**
 * Who may read `GET /metrics` on a server: anyone ('public'), nobody ('off': the route does not
 * exist), or a caller with `Authorization: Bearer <token>`. The metrics name every service's
 * routes and backends, so a public listener should not serve them to anyone.
 */
export type MetricsAccess = 'public' | 'off' | { token: string }

const durationMetric = 'http_request_duration_seconds'

/** Seconds; up to minutes because a streamed completion is one long request. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

/** `GET /metrics` from the registry (as `access` allows), and a request-duration histogram fed by every response. */
export function installMetrics(
  app: FastifyInstance,
  registry: Registry,
  access: MetricsAccess = 'public',
): void {
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

  if (access === 'off') return
  const allowed = access === 'public' ? () => true : bearerOf(access.token)
  app.get(
    '/metrics',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: { tags: ['kit'], summary: 'Prometheus metrics', hide: true },
    },
    async (request, reply) => {
      if (!allowed(request))
        throw new kitErrors.Unauthenticated('Metrics need Authorization: Bearer <the metrics token>')
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}

/** Compares digests, so neither the token's length nor its bytes show in the time a refusal takes. */
function bearerOf(token: string): (request: FastifyRequest) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  const expected = digest(`Bearer ${token}`)
  return (request) => timingSafeEqual(digest(request.headers.authorization ?? ''), expected)
}

/**
 * A listener of its own for `GET /metrics` (nothing else), e.g. on 127.0.0.1 or a port only the
 * scraper can reach, so the public listener need not serve them.
 */
export async function serveMetrics(
  registry: Registry,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = Fastify({ logger: false })
  server.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
  await server.listen({ host: options.host, port: options.port })
  const address = server.server.address()
  const port = address !== null && typeof address === 'object' ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return { url: `http://${host}:${port}`, close: () => server.close() }
}
