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

/** `GET /healthz` (the process is alive) and `GET /readyz` (every backend answers, run in parallel). */
export function registerHealthRoutes(
  app: FastifyInstance,
  checks: Record<string, ReadinessCheck>,
  timeoutMs: number,
): void {
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
      const results = await Promise.all(
        Object.entries(checks).map(
          async ([name, check]) => [name, await runCheck(name, check, timeoutMs, request.log)] as const,
        ),
      )
      const failing = results.filter(([, result]) => result.status !== 'ok').map(([name]) => name)
      const report: ReadinessReport = {
        status: failing.length === 0 ? 'ready' : 'unavailable',
        checks: Object.fromEntries(results),
        failing,
      }
      reply.code(failing.length === 0 ? 200 : 503)
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
