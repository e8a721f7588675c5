import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { type Static, Type } from 'typebox'

/** Resolves true when the backend answers; false, a rejection or no answer in time all mean not ready. */
export type ReadinessCheck = () => Promise<boolean>

export const CheckResult = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('timeout')]),
  /** How long the check took, in milliseconds. */
  durationMs: Type.Number(),
})
export type CheckResult = Static<typeof CheckResult>

export const ReadinessReport = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), CheckResult),
  /** Names of the checks that did not answer ok. */
  failing: Type.Array(Type.String()),
})
export type ReadinessReport = Static<typeof ReadinessReport>

const HealthReport = Type.Object({ status: Type.Literal('ok') })

export interface ReadinessOptions {
  /** Per check, in milliseconds. */
  timeoutMs: number
  /** How long a report answers later callers before the checks run again, in milliseconds. */
  cacheMs: number
  now?: () => number
}

/**
 * `GET /healthz` (the process is alive) and `GET /readyz` (every backend answers, run in
 * parallel). /readyz is public, so its checks run at most once per `cacheMs` whoever asks: callers
 * meanwhile share the run in flight or the last report, and a flood of probes cannot become a
 * flood of queries to every backend.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  checks: Record<string, ReadinessCheck>,
  options: ReadinessOptions,
): void {
  const { timeoutMs, cacheMs } = options
  const now = options.now ?? Date.now
  let last: { at: number; report: Promise<ReadinessReport> } | undefined
  const check = async (log: FastifyBaseLogger): Promise<ReadinessReport> => {
    const results = await Promise.all(
      Object.entries(checks).map(
        async ([name, check]) => [name, await runCheck(name, check, timeoutMs, log)] as const,
      ),
    )
    const failing = results.filter(([, result]) => result.status !== 'ok').map(([name]) => name)
    return {
      status: failing.length === 0 ? 'ready' : 'unavailable',
      checks: Object.fromEntries(results),
      failing,
    }
  }

  const routeOptions = { config: { public: true }, logLevel: 'warn' } as const

  app.get(
    '/healthz',
    { ...routeOptions, schema: { tags: ['kit'], summary: 'Liveness', response: { 200: HealthReport } } },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      ...routeOptions,
      schema: {
        tags: ['kit'],
        summary: 'Readiness: every backend answers',
        response: { 200: ReadinessReport, 503: ReadinessReport },
      },
    },
    async (request, reply) => {
      // A run in flight counts from its start: it is shared until it ends and `cacheMs` after.
      if (last === undefined || now() - last.at >= cacheMs) {
        const started = now()
        const report = check(request.log)
        last = { at: started, report }
        report.then(
          () => {
            if (last?.report === report) last = { at: Math.max(started, now()), report }
          },
          () => {},
        )
      }
      const report = await last.report
      reply.code(report.status === 'ready' ? 200 : 503)
      return report
    },
  )
}

async function runCheck(
  name: string,
  check: ReadinessCheck,
  timeoutMs: number,
  log: FastifyBaseLogger,
): Promise<CheckResult> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'timeout')
  })
  try {
    const outcome = await Promise.race([Promise.resolve().then(check), timeout])
    const status = outcome === 'timeout' ? 'timeout' : outcome === true ? 'ok' : 'failed'
    if (status !== 'ok') log.warn({ check: name, status }, 'readiness check not ok')
    return { status, durationMs: Math.round(performance.now() - started) }
  } catch (err) {
    // The reason stays in the log: /readyz is public.
    log.warn({ check: name, err }, 'readiness check failed')
    return { status: 'failed', durationMs: Math.round(performance.now() - started) }
  } finally {
    clearTimeout(timer)
  }
}
