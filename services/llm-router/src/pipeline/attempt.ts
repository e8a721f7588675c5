import type { DeploymentState } from '../routing/router.ts'
import { AttemptTimeout, ClientGone } from './timeouts.ts'

/**
 * The caller's side of one request: whether it left, and what its leaving aborts (the attempt in
 * progress, directly, and every wait through `signal`). No AbortSignal listener per attempt: adding
 * and removing them cost more than the rest of an attempt's bookkeeping.
 */
export class Caller {
  #goneReason: ClientGone | undefined
  /** Made on first use (waits and backpressure only), aborted when the caller leaves. */
  #controller: AbortController | undefined
  #attempt: Attempt | undefined

  /** The caller went away: abort the attempt in progress and every wait. */
  leave(): void {
    if (this.#goneReason !== undefined) return
    this.#goneReason = new ClientGone()
    this.#controller?.abort(this.#goneReason)
    this.#attempt?.abort(this.#goneReason)
  }

  get gone(): boolean {
    return this.#goneReason !== undefined
  }

  get goneReason(): ClientGone | undefined {
    return this.#goneReason
  }

  /** Aborts when the caller leaves; for waits that are not an upstream call. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#goneReason !== undefined) this.#controller.abort(this.#goneReason)
    }
    return this.#controller.signal
  }

  /** `attempt` is now in progress: aborted at once if the caller already left, else when it leaves. */
  follow(attempt: Attempt): void {
    this.#attempt = attempt
    if (this.#goneReason !== undefined) attempt.abort(this.#goneReason)
  }

  /** `attempt` is over: the caller's leaving no longer concerns it. */
  unfollow(attempt: Attempt): void {
    if (this.#attempt === attempt) this.#attempt = undefined
  }
}

/**
 * One upstream call on one deployment: its abort controller, its timeouts and its slot in the
 * deployment's in-flight count. Timers: `total` for the whole call; for a stream, `ttft` until the
 * first event, then `idle`, refreshed by every event. The caller aborts it directly when it leaves.
 */
export class Attempt {
  readonly state: DeploymentState
  readonly #controller = new AbortController()
  readonly signal = this.#controller.signal
  readonly #caller: Caller
  readonly #startedAt = performance.now()
  #total: NodeJS.Timeout
  #phase: NodeJS.Timeout | undefined
  #events = 0
  #ended = false
  /** Rejects the promise `guard` is waiting on, if any. */
  #rejectGuard: ((reason: unknown) => void) | undefined

  constructor(state: DeploymentState, caller: Caller) {
    this.state = state
    state.inFlight++
    const { totalMs } = state.deployment.timeouts
    this.#total = setTimeout(() => this.abort(new AttemptTimeout('total', totalMs)), totalMs)
    this.#caller = caller
    caller.follow(this)
  }

  /** Starts the time-to-first-event watchdog (streams). */
  armTtft(): void {
    const { ttftMs } = this.state.deployment.timeouts
    this.#phase = setTimeout(() => this.abort(new AttemptTimeout('ttft', ttftMs)), ttftMs)
  }

  /** An event arrived: the first ends the TTFT watch and feeds the latency average; each restarts the idle watch. */
  event(): void {
    if (this.#events++ === 0) {
      clearTimeout(this.#phase)
      this.state.observeTtft(performance.now() - this.#startedAt)
      const { idleMs } = this.state.deployment.timeouts
      this.#phase = setTimeout(() => this.abort(new AttemptTimeout('idle', idleMs)), idleMs)
    } else {
      this.#phase?.refresh()
    }
  }

  /** A non-streamed answer arrived whole: its latency feeds the average. */
  answered(): void {
    this.state.observeTtft(performance.now() - this.#startedAt)
  }

  /**
   * Settles with `promise`, or rejects with the abort reason as soon as the attempt is aborted: a
   * provider that misses its signal cannot hold the request past a timeout or a departed client.
   */
  guard<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      promise.catch(() => {})
      return Promise.reject(this.signal.reason)
    }
    return new Promise<T>((resolve, reject) => {
      this.#rejectGuard = reject
      promise.then(
        (value) => {
          this.#rejectGuard = undefined
          resolve(value)
        },
        (error: unknown) => {
          this.#rejectGuard = undefined
          reject(error)
        },
      )
    })
  }

  /** Frees the slot and the timers. Idempotent; does not abort (a finished call needs no abort). */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.state.inFlight--
    clearTimeout(this.#total)
    clearTimeout(this.#phase)
    this.#caller.unfollow(this)
  }

  /** Aborts the upstream call and whatever `guard` waits on. */
  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return
    this.#controller.abort(reason)
    const reject = this.#rejectGuard
    this.#rejectGuard = undefined
    reject?.(reason)
  }
}
