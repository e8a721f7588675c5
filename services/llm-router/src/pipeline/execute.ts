// The retry and fallback loop. Attempts go to a deployment the router selects; a failure is
// classified (failures.ts) and either answered to the caller, retried on the alias (another
// deployment, or the same one after a jittered backoff), or carried to a fallback alias: first the
// alias's fallbacks for that error class, then its general fallbacks. Only failures before the
// first byte reached the caller come through here; the stream writer handles the rest.
import type { RetryPolicy } from '../catalog/schema.ts'
import type { AliasState, DeploymentState } from '../routing/router.ts'
import { Attempt, type Caller } from './attempt.ts'
import { type Failure, finalError, recordFailure } from './failures.ts'
import type { LlmRequest, PipelineDeps } from './request.ts'
import { ClientGone, sleep } from './timeouts.ts'

/**
 * How the loop ended, with the attempts it made and the deployment of the latest one (the answer's
 * headers and the request's report name them).
 */
export type Executed<R> =
  | {
      ok: true
      value: R
      /** Still open: the caller ends it (after the stream, or at once for a whole answer). */
      attempt: Attempt
      attempts: number
    }
  | { ok: false; error: unknown; attempts: number; deployment: DeploymentState | undefined }

export async function execute<R>(
  deps: PipelineDeps,
  request: LlmRequest,
  caller: Caller,
  first: AliasState,
  call: (attempt: Attempt) => Promise<R>,
): Promise<Executed<R>> {
  const { router } = deps
  const visited = new Set<string>([first.alias.name])
  const pending: string[] = []
  let aliasState: AliasState | undefined = first
  let last: Failure | undefined
  let retryAfterMs: number | undefined
  let attempts = 0
  let deployment: DeploymentState | undefined
  try {
    while (aliasState !== undefined) {
      const policy = aliasState.alias.retry
      let exclude: Set<string> | undefined
      /** Per deployment: failures in this request, and the earliest time (epoch ms) to call it again. */
      let failedHere: Map<string, { failures: number; notBefore: number }> | undefined
      let tries = 0
      while (tries < policy.maxAttempts) {
        const selection = router.select(aliasState, exclude ?? noneExcluded)
        if (selection.kind === 'wait') {
          const wait = selection.until - Date.now()
          if (wait > policy.maxRetryAfterMs) {
            retryAfterMs = wait
            last ??= rateLimited
            break
          }
          await guard(sleep(wait, caller.signal), caller)
          continue
        }
        if (selection.kind === 'none') {
          last ??= unavailable
          break
        }
        const state = selection.state
        const id = state.deployment.id
        const failed = failedHere?.get(id)
        const failures = failed?.failures ?? 0
        if (failed !== undefined) {
          // A 5xx's Retry-After is honoured like a 429's when the same deployment is tried again.
          const wait = Math.max(backoffMs(policy, failures), failed.notBefore - Date.now())
          await guard(sleep(wait, caller.signal), caller)
        }
        tries++
        attempts++
        deployment = state
        if (attempts > 1) deps.metrics.recordRetry(labelsOf(request, state))
        const attempt = new Attempt(state, caller)
        try {
          const value = await call(attempt)
          router.health.recordSuccess(id)
          return { ok: true, value, attempt, attempts }
        } catch (error) {
          attempt.end()
          attempt.abort(error)
          if (caller.gone) throw new ClientGone()
          const failure = recordFailure(router.health, id, error)
          last = failure
          deps.logger.debug(
            { reqId: request.requestId, deployment: id, attempt: attempts, err: error },
            'upstream attempt failed',
          )
          if (failure.errorClass === null) throw finalError(failure, undefined)
          if (!failure.retryable) break
          const retryAfter = failure.errorClass === 'rate_limited' ? undefined : failure.retryAfterMs
          if (failure.exclude || (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs)) {
            exclude ??= new Set()
            exclude.add(id)
          }
          failedHere ??= new Map()
          failedHere.set(id, { failures: failures + 1, notBefore: Date.now() + (retryAfter ?? 0) })
        }
      }
      // This alias is exhausted: its fallbacks for the error class go first, then (for a retryable
      // failure) its general ones; a fallback's own fallbacks queue ahead of the remaining ones.
      const alias = aliasState.alias
      const cls = last?.errorClass
      const next = [
        ...(cls ? (alias.fallbacksOn[cls] ?? []) : []),
        ...(last === undefined || last.retryable ? alias.fallbacks : []),
      ]
      pending.unshift(...next.filter((name) => !visited.has(name)))
      aliasState = undefined
      for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
        if (visited.has(name)) continue
        visited.add(name)
        aliasState = router.alias(name)
        if (aliasState !== undefined) break
      }
    }
    throw finalError(last, retryAfterMs)
  } catch (error) {
    return { ok: false, error, attempts, deployment }
  }
}

const noneExcluded: ReadonlySet<string> = new Set()

const rateLimited: Failure = {
  errorClass: 'rate_limited',
  retryable: true,
  exclude: false,
  unhealthy: false,
  retryAfterMs: undefined,
  error: undefined,
}

const unavailable: Failure = {
  errorClass: 'unavailable',
  retryable: true,
  exclude: false,
  unhealthy: false,
  retryAfterMs: undefined,
  error: undefined,
}

/** Exponential from baseDelayMs, capped, then jittered to 50-100 % so that replicas do not retry in step. */
export function backoffMs(policy: RetryPolicy, failures: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(failures - 1, 30))
  return ceiling * (0.5 + random() * 0.5)
}

/** A wait the caller's departure cuts short ends the request as cancelled. */
async function guard(wait: Promise<void>, caller: Caller): Promise<void> {
  try {
    await wait
  } catch {
    if (caller.gone) throw new ClientGone()
  }
}

function labelsOf(request: LlmRequest, state: { deployment: { id: string; provider: string } }) {
  return {
    model: request.alias,
    deployment: state.deployment.id,
    provider: state.deployment.provider,
    org: request.identity.orgId,
  }
}
