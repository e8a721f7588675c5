import { logStart, type SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { ChatConfig } from '../config.ts'

/**
 * A message's event log: every event its generation produced, in order, in the shared state's
 * event logs (a Redis stream in production), whoever is listening. The generation appends; each
 * client (the request that started it, or one reconnecting with Last-Event-ID, on any replica)
 * tails it. So a client that leaves loses nothing, the generation does not care who listens, and a
 * reconnect gets exactly the events after the last one it saw.
 */

/** An agent run's events a conversation with an agent relays as they are (agent-relay.ts). */
export type RelayedEventName = 'run.start' | 'route' | 'tool.call' | 'tool.result' | 'approval.required'

export type ChatEventName = 'message.start' | 'message.delta' | 'usage' | 'done' | 'error' | RelayedEventName

export interface ChatEvent {
  /** 1, 2, 3... per message: the SSE id is `<messageId>:<seq>`. */
  seq: number
  event: ChatEventName
  data: Record<string, unknown>
}

/** `done` and `error` end a log: nothing follows them. */
export const isTerminal = (event: ChatEvent): boolean => event.event === 'done' || event.event === 'error'

export const eventLogKey = (messageId: string) => `chat:events:${messageId}`

export interface EventLogLimits {
  /** Entries kept. */
  maxLen: number
  /** Milliseconds the log lives after its last append. */
  ttlMs: number
}

/** The bounds every writer of a log keeps to: the generation, and whoever writes an end it could not. */
export const eventLogLimits = (config: ChatConfig): EventLogLimits => ({
  maxLen: config.CHAT_STREAM_MAX_EVENTS,
  ttlMs: config.CHAT_STREAM_TTL_MS,
})

/**
 * Appends one message's events with consecutive sequence numbers. Appends are chained, so they
 * land in order even when the caller does not wait for each; a failed append is logged and the
 * generation goes on (the stored message stays the record).
 */
export class EventLogWriter {
  readonly #state: SharedState
  readonly #key: string
  readonly #limits: EventLogLimits
  readonly #logger: Logger
  #seq: number
  #chain: Promise<void> = Promise.resolve()

  constructor(state: SharedState, messageId: string, limits: EventLogLimits, logger: Logger, lastSeq = 0) {
    this.#state = state
    this.#key = eventLogKey(messageId)
    this.#limits = limits
    this.#logger = logger
    this.#seq = lastSeq
  }

  /** Queues the event; resolves once it (and everything before it) is in the log. */
  append(event: ChatEventName, data: Record<string, unknown>): Promise<void> {
    const entry: ChatEvent = { seq: ++this.#seq, event, data }
    this.#chain = this.#chain.then(() =>
      this.#state.eventLogs.append(this.#key, JSON.stringify(entry), this.#limits).then(
        () => {},
        (err: unknown) =>
          this.#logger.warn({ err, key: this.#key, seq: entry.seq }, 'event log append failed'),
      ),
    )
    return this.#chain
  }

  get seq(): number {
    return this.#seq
  }
}

const parse = (data: string): ChatEvent | undefined => {
  try {
    const event = JSON.parse(data) as ChatEvent
    return typeof event.seq === 'number' && typeof event.event === 'string' ? event : undefined
  } catch {
    return undefined
  }
}

/** The first event the log still holds, or undefined when it is empty or gone. */
export async function firstEvent(state: SharedState, messageId: string): Promise<ChatEvent | undefined> {
  const [entry] = await state.eventLogs.read(eventLogKey(messageId), logStart, 1)
  return entry && parse(entry.data)
}

export interface TailOptions {
  state: SharedState
  messageId: string
  /** Events up to this sequence number are skipped (the client has them); 0 for all. */
  afterSeq: number
  /** How long one blocking read waits before `onQuiet` runs, in milliseconds. */
  waitMs: number
  /** True once nobody listens any more (the client left). */
  stopped(): boolean
  /** Runs after a wait with nothing new: it may append a terminal event for a generation that died. */
  onQuiet(): Promise<void>
  send(event: ChatEvent): void
}

/**
 * Sends the log's events after `afterSeq` as they arrive, until its terminal event (`ended`) or
 * until `stopped()` (`stopped`).
 */
export async function tailEventLog(options: TailOptions): Promise<'ended' | 'stopped'> {
  const key = eventLogKey(options.messageId)
  let cursor = logStart
  while (!options.stopped()) {
    const entries = await options.state.eventLogs.readBlocking(key, cursor, options.waitMs, 256)
    if (entries.length === 0) {
      if (options.stopped()) break
      await options.onQuiet()
      continue
    }
    for (const entry of entries) {
      cursor = entry.id
      const event = parse(entry.data)
      if (event === undefined) continue
      // A client that already has the end (it reconnected after the last event) gets nothing more.
      if (event.seq > options.afterSeq) options.send(event)
      if (isTerminal(event)) return 'ended'
    }
  }
  return 'stopped'
}

/**
 * Appends a terminal event after the log's last one, for a generation that can no longer write its
 * own (see settleOrphan). Reads the whole log to find the last sequence: a rare path.
 */
export async function appendTerminal(
  state: SharedState,
  messageId: string,
  limits: EventLogLimits,
  terminal: { event: 'done' | 'error'; data: Record<string, unknown> },
): Promise<void> {
  const key = eventLogKey(messageId)
  let cursor = logStart
  let lastSeq = 0
  for (;;) {
    const entries = await state.eventLogs.read(key, cursor, 1_000)
    for (const entry of entries) {
      const event = parse(entry.data)
      if (event === undefined) continue
      if (isTerminal(event)) return
      lastSeq = Math.max(lastSeq, event.seq)
    }
    const last = entries.at(-1)
    if (last === undefined) break
    cursor = last.id
  }
  const entry: ChatEvent = { seq: lastSeq + 1, ...terminal }
  await state.eventLogs.append(key, JSON.stringify(entry), limits)
}
