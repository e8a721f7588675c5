import { logStart, type SharedState } from '@switchyard/state'
import type { Logger } from 'pino'

/**
 * A run's event log: every event of the run, in order, in the shared state's event logs (a Redis
 * stream in production), whoever listens. The loop appends, on whichever replica runs it; each
 * client (the request that started it, or one reconnecting with Last-Event-ID, on any replica)
 * tails it. So a client that leaves loses nothing and stops nothing, and a reconnect gets exactly
 * the events after the last one it saw. The same design as chat's message logs.
 */

export type RunEventName =
  | 'run.start'
  | 'route'
  | 'plan'
  | 'child.start'
  | 'step'
  | 'tool.call'
  | 'tool.result'
  | 'message.delta'
  | 'approval.required'
  | 'usage'
  | 'done'
  | 'error'

export interface RunEvent {
  /** 1, 2, 3... per run: the SSE id is `<runId>:<seq>`. */
  seq: number
  event: RunEventName
  data: Record<string, unknown>
}

/** `done` and `error` end a run's log; `approval.required` pauses it (a stream ends there). */
export const endsStream = (event: RunEvent): boolean =>
  event.event === 'done' || event.event === 'error' || event.event === 'approval.required'

export const runLogKey = (runId: string) => `agent:events:${runId}`

export interface RunLogLimits {
  maxLen: number
  ttlMs: number
}

const parse = (data: string): RunEvent | undefined => {
  try {
    const event = JSON.parse(data) as RunEvent
    return typeof event.seq === 'number' && typeof event.event === 'string' ? event : undefined
  } catch {
    return undefined
  }
}

/**
 * Appends one run's events with consecutive sequence numbers, chained so they land in order
 * without the loop waiting for each. A failed append is logged: the stored run stays the record.
 */
export class RunEventWriter {
  readonly #state: SharedState
  readonly #key: string
  readonly #limits: RunLogLimits
  readonly #logger: Logger
  #seq: number
  #chain: Promise<void> = Promise.resolve()

  constructor(state: SharedState, runId: string, limits: RunLogLimits, logger: Logger, lastSeq: number) {
    this.#state = state
    this.#key = runLogKey(runId)
    this.#limits = limits
    this.#logger = logger
    this.#seq = lastSeq
  }

  /** A writer that goes on after the log's last event (a run resumed on another replica). */
  static async resume(state: SharedState, runId: string, limits: RunLogLimits, logger: Logger) {
    let cursor = logStart
    let lastSeq = 0
    for (;;) {
      const entries = await state.eventLogs.read(runLogKey(runId), cursor, 1_000)
      const last = entries.at(-1)
      if (last === undefined) break
      for (const entry of entries) lastSeq = Math.max(lastSeq, parse(entry.data)?.seq ?? 0)
      cursor = last.id
    }
    return new RunEventWriter(state, runId, limits, logger, lastSeq)
  }

  /** Queues the event; resolves once it (and everything before it) is in the log. */
  append(event: RunEventName, data: Record<string, unknown>): Promise<void> {
    const entry: RunEvent = { seq: ++this.#seq, event, data }
    this.#chain = this.#chain.then(() =>
      this.#state.eventLogs.append(this.#key, JSON.stringify(entry), this.#limits).then(
        () => {},
        (err: unknown) =>
          this.#logger.warn({ err, key: this.#key, seq: entry.seq }, 'run event append failed'),
      ),
    )
    return this.#chain
  }
}

export interface TailOptions {
  state: SharedState
  runId: string
  /** Events up to this sequence number are skipped (the client has them); 0 for all. */
  afterSeq: number
  /** How long one blocking read waits, milliseconds. */
  waitMs: number
  /** True once nobody listens any more (the client left). */
  stopped(): boolean
  /**
   * True when the run is not running: asked after a quiet wait (its end was logged elsewhere, or
   * lost) and at a pause (still waiting, or approved since).
   */
  settled(): Promise<boolean>
  send(event: RunEvent): void
}

/** Sends the log's events after `afterSeq` as they come, until one that ends a stream, or `stopped()`. */
export async function tailRunLog(options: TailOptions): Promise<void> {
  const key = runLogKey(options.runId)
  let cursor = logStart
  while (!options.stopped()) {
    const entries = await options.state.eventLogs.readBlocking(key, cursor, options.waitMs, 256)
    if (entries.length === 0) {
      if (options.stopped() || (await options.settled())) return
      continue
    }
    for (const entry of entries) {
      cursor = entry.id
      const event = parse(entry.data)
      if (event === undefined || event.seq <= options.afterSeq) continue
      options.send(event)
      if (!endsStream(event)) continue
      if (event.event !== 'approval.required') return
      // A pause ends the stream only while the run still waits: one approved since (more events
      // follow, or it runs again, maybe quietly while a planner's child works) goes on.
      if (entry === entries.at(-1) && (await options.settled())) return
    }
  }
}
