import { setTimeout as delay } from 'node:timers/promises'

/** Why the pipeline aborted an attempt; becomes the abort reason providers' I/O rejects with. */
export class AttemptTimeout extends Error {
  override name = 'AttemptTimeout'
  /** connect is undici's; the others are the router's own watchdogs. */
  readonly phase: 'ttft' | 'idle' | 'total'
  readonly afterMs: number
  constructor(phase: 'ttft' | 'idle' | 'total', afterMs: number) {
    super(
      `no ${phase === 'ttft' ? 'first token' : phase === 'idle' ? 'next chunk' : 'complete answer'} within ${afterMs} ms`,
    )
    this.phase = phase
    this.afterMs = afterMs
  }
}

/** The caller went away: the request is over, nothing more is sent. */
export class ClientGone extends Error {
  override name = 'ClientGone'
  constructor() {
    super('the client closed the connection')
  }
}

/**
 * Resolves or rejects with `promise`, or rejects with the signal's reason as soon as it aborts: a
 * provider that misses its signal cannot hold the request past a timeout.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Sleeps `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  // timers/promises rejects with its own AbortError; callers tell a timeout from a departed client by the reason.
  return delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error
  })
}
