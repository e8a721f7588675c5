import type { DeploymentState } from '../routing/deployment-state.ts'
import type { LlmRequest } from './request.ts'
import { AttemptTimeout } from './timeouts.ts'

/**
 * One upstream call on one deployment: its abort controller, its timeouts and its slot in the
 * deployment's in-flight count. Timers: `total` for the whole call; for a stream, `ttft` until the
 * first event, then `idle`, refreshed by every event. The request aborts it directly when the
 * client leaves (no AbortSignal listeners: adding and removing them costs more than the rest).
 */
export class Attempt {
  readonly state: DeploymentState
  readonly #controller = new AbortController()
  readonly signal = this.#controller.signal
  readonly #request: LlmRequest
  readonly #startedAt = performance.now()
  #total: NodeJS.Timeout
  #phase: NodeJS.Timeout | undefined
  #events = 0
  #ended = false
  /** Rejects the promise `guard` is waiting on, if any. */
  #rejectGuard: ((reason: unknown) => void) | undefined

  constructor(state: DeploymentState, request: LlmRequest) {
    this.state = state
    state.inFlight++
    const { totalMs } = state.deployment.timeouts
    this.#total = setTimeout(() => this.abort(new AttemptTimeout('total', totalMs)), totalMs)
    this.#request = request
    request.attempt = this
    if (request.gone) this.abort(request.goneReason)
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
    if (this.#request.attempt === this) this.#request.attempt = undefined
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
