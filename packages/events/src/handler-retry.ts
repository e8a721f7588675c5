import { setTimeout as sleep } from 'node:timers/promises'

/** How a consumer retries a failing handler before it dead-letters the event. */
export interface RetryPolicy {
  /** Handler attempts per event, the first included (at least 1). */
  attempts: number
  /** Wait before the second attempt in ms; doubles per attempt up to `maxBackoffMs`. */
  backoffMs: number
  /** Longest wait between two attempts in ms. */
  maxBackoffMs: number
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, backoffMs: 200, maxBackoffMs: 5_000 }

export type HandlerOutcome =
  | { status: 'handled'; attempts: number }
  | { status: 'failed'; attempts: number; error: unknown }
  /** Stopped between attempts (the subscription is closing): not consumed, to be redelivered. */
  | { status: 'abandoned'; attempts: number; error: unknown }

export interface RunHandlerOptions {
  policy: RetryPolicy
  /** Called after each failed attempt (logs, metrics). */
  onError(error: unknown, attempt: number): void
  /** Checked before each retry; false abandons the event. */
  canRetry?(): boolean
  /** Runs during the backoff, e.g. a Kafka heartbeat so a long retry does not cost the partition. */
  whileWaiting?(): Promise<void>
  /**
   * A failure this says is transient (a database briefly away, a timeout) spends no attempt: the
   * handler is retried, with the same capped backoff, until it succeeds or `canRetry` says stop.
   */
  isTransient?(error: unknown): boolean
}

/**
 * Runs `handle` until it resolves or the attempts are spent (transient failures spend none).
 * Throws only what `whileWaiting` throws.
 */
export async function runHandler(
  handle: () => Promise<void>,
  options: RunHandlerOptions,
): Promise<HandlerOutcome> {
  const attempts = Math.max(1, Math.floor(options.policy.attempts))
  let backoff = options.policy.backoffMs
  let lastError: unknown
  // `spent` counts the attempts that failed for good; `made` every call, for onError and outcomes.
  let spent = 0
  let made = 0
  while (spent < attempts) {
    if (made > 0) {
      if (options.canRetry && !options.canRetry())
        return { status: 'abandoned', attempts: made, error: lastError }
      await sleep(backoff)
      backoff = Math.min(backoff * 2, options.policy.maxBackoffMs)
      if (options.whileWaiting) await options.whileWaiting()
      if (options.canRetry && !options.canRetry())
        return { status: 'abandoned', attempts: made, error: lastError }
    }
    made++
    try {
      await handle()
      return { status: 'handled', attempts: made }
    } catch (error) {
      lastError = error
      options.onError(error, made)
      if (!options.isTransient?.(error)) spent++
    }
  }
  return { status: 'failed', attempts: made, error: lastError }
}
