import type { DeploymentState } from '../routing/deployment-state.ts'
import { AttemptTimeout } from './timeouts.ts'

/**
 * One upstream call on one deployment: its abort controller (linked to the client's), its
 * timeouts and its slot in the deployment's in-flight count. Timers: `total` for the whole call;
 * for a stream, `ttft` until the first event, then `idle`, refreshed by every event.
 */
export class Attempt {
  readonly state: DeploymentState
  readonly #controller = new AbortController()
  readonly signal = this.#controller.signal
  readonly #requestSignal: AbortSignal
  readonly #onRequestAbort: () => void
  readonly #startedAt = performance.now()
  #total: NodeJS.Timeout
  #phase: NodeJS.Timeout | undefined
  #events = 0
  #ended = false

  constructor(state: DeploymentState, requestSignal: AbortSignal) {
    this.state = state
    state.inFlight++
    const { totalMs } = state.deployment.timeouts
    this.#total = setTimeout(() => this.#abort(new AttemptTimeout('total', totalMs)), totalMs)
    this.#requestSignal = requestSignal
    this.#onRequestAbort = () => this.#abort(requestSignal.reason)
    if (requestSignal.aborted) this.#abort(requestSignal.reason)
    else requestSignal.addEventListener('abort', this.#onRequestAbort, { once: true })
  }

  /** Starts the time-to-first-event watchdog (streams). */
  armTtft(): void {
    const { ttftMs } = this.state.deployment.timeouts
    this.#phase = setTimeout(() => this.#abort(new AttemptTimeout('ttft', ttftMs)), ttftMs)
  }

  /** An event arrived: the first ends the TTFT watch and feeds the latency average; each restarts the idle watch. */
  event(): void {
    if (this.#events++ === 0) {
      clearTimeout(this.#phase)
      this.state.observeTtft(performance.now() - this.#startedAt)
      const { idleMs } = this.state.deployment.timeouts
      this.#phase = setTimeout(() => this.#abort(new AttemptTimeout('idle', idleMs)), idleMs)
    } else {
      this.#phase?.refresh()
    }
  }

  /** A non-streamed answer arrived whole: its latency feeds the average. */
  answered(): void {
    this.state.observeTtft(performance.now() - this.#startedAt)
  }

  /** Frees the slot and the timers. Idempotent; does not abort (a finished call needs no abort). */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.state.inFlight--
    clearTimeout(this.#total)
    clearTimeout(this.#phase)
    this.#requestSignal.removeEventListener('abort', this.#onRequestAbort)
  }

  /** Aborts the upstream call (e.g. after a failure the provider did not clean up). */
  abort(reason: unknown): void {
    this.#abort(reason)
  }

  #abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason)
  }
}
