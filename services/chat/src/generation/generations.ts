import { randomUUID } from 'node:crypto'
import type { EventBus } from '@switchyard/events'
import type { SharedState } from '@switchyard/state'
import type OpenAI from 'openai'
import { APIConnectionTimeoutError } from 'openai'
import type { Logger } from 'pino'
import type { AgentRuns } from '../agents/agent-runs.ts'
import type { ChatConfig } from '../config.ts'
import { chatErrors, chatStreamCodes } from '../errors.ts'
import type { ChatStore, Conversation, Message, MessageStatus, Owner } from '../store/chat-store.ts'
import { relayRun } from './agent-relay.ts'
import type { AnswerProgress, StreamError } from './answer-progress.ts'
import { type Branch, estimateTokens, type FittedContext, type History, toTurn } from './context.ts'
import { EventLogWriter, eventLogLimits } from './event-log.ts'
import { publishMessage } from './publish.ts'

/** Who runs a message's generation: set while it runs, refreshed, gone once its last event is logged. */
export const leaseKey = (messageId: string) => `chat:lease:${messageId}`
/** Set by a stop request on any replica; the generation polls it. */
export const stopKey = (messageId: string) => `chat:stop:${messageId}`

/** Counts a user's generations running on every replica (CHAT_MAX_CONCURRENT_GENERATIONS). */
export const runningKey = (owner: Owner) => `chat:running:${owner.orgId}:${owner.userId}`

/** One of a user's concurrent generations: given back once, however many times release is called. */
export interface Slot {
  release(): Promise<void>
}

const LEASE_TTL_MS = 15_000
const LEASE_REFRESH_MS = 2_000
const STOP_POLL_MS = 250

/** Where an answer comes from: the model's stream through the llm-router... */
export interface ModelSource {
  kind: 'model'
  model: string
  context: FittedContext
  maxTokens: number
}

/** ...or an agent run already started (the placeholder names it), whose events are relayed. */
export interface AgentSource {
  kind: 'agent'
  runId: string
}

export interface GenerationJob {
  owner: Owner
  conversation: Conversation
  /** The placeholder already stored (status `streaming`, content ''). */
  assistant: Message
  /** The message it answers, for the start event. */
  parent: Message
  source: ModelSource | AgentSource
  /** The branch up to `parent`, newest first: cached with the answer once it is done. */
  history: Branch
  /** The caller's internal token: the llm-router (or agent) sees who asked. */
  apiKey: string
  /** Taken with `reserve`; the generation gives it back when its answer ends. */
  slot: Slot
}

export interface GenerationsOptions {
  config: ChatConfig
  store: ChatStore
  state: SharedState
  bus: EventBus
  logger: Logger
  history: History
  /** An `openai` client for the llm-router, acting for the holder of `apiKey`. */
  llm(apiKey: string): OpenAI
  /** agent, for the answers of a conversation with an agent. */
  agents: AgentRuns
}

type StopReason = 'stop' | 'shutdown' | 'timeout'

interface Running {
  controller: AbortController
  done: Promise<void>
}

/**
 * Runs generations: one upstream call per answer, detached from the request that asked for it. Its
 * events go to the message's event log, its partial text to the store (throttled), and it keeps
 * going when the client leaves. A stop (local, or through the shared state from another replica)
 * aborts the upstream call; the answer so far is kept as `stopped`.
 */
export class Generations {
  readonly #o: GenerationsOptions
  readonly #running = new Map<string, Running>()
  /** Names this replica in leases (for logs and debugging only). */
  readonly #replica = randomUUID()

  constructor(options: GenerationsOptions) {
    this.#o = options
  }

  /**
   * Takes one of the owner's CHAT_MAX_CONCURRENT_GENERATIONS places, before anything is stored.
   * The counter is shared by every replica; it expires a generation's longest life after it was
   * created, so the places a vanished replica held come back.
   * @throws CHAT_ERR_TOO_MANY_GENERATIONS (429)
   */
  async reserve(owner: Owner): Promise<Slot> {
    const { config, state, logger } = this.#o
    const key = runningKey(owner)
    const cap = config.CHAT_MAX_CONCURRENT_GENERATIONS
    const running = await state.values.increment(key, 1, config.CHAT_GENERATION_TIMEOUT_MS + LEASE_TTL_MS)
    let released = false
    const slot: Slot = {
      async release() {
        if (released) return
        released = true
        await state.values
          .increment(key, -1)
          .catch((err: unknown) => logger.warn({ err }, 'a generation slot was not given back'))
      },
    }
    if (running > cap) {
      await slot.release()
      throw new chatErrors.TooManyGenerations(cap)
    }
    return slot
  }

  /** Marks the message as being generated here. Call before storing its placeholder. */
  async claim(messageId: string): Promise<void> {
    await this.#o.state.values.set(leaseKey(messageId), this.#replica, LEASE_TTL_MS)
  }

  /** True while some replica runs the message's generation. */
  async isAlive(messageId: string): Promise<boolean> {
    return this.#running.has(messageId) || (await this.#o.state.values.get(leaseKey(messageId))) !== null
  }

  /**
   * Starts the generation; resolves once its start event is logged, so a client tailing the log
   * from now on misses nothing.
   */
  async start(job: GenerationJob): Promise<void> {
    const { config, state, logger } = this.#o
    const writer = new EventLogWriter(state, job.assistant.id, eventLogLimits(config), logger)
    await writer.append('message.start', {
      conversationId: job.conversation.id,
      messageId: job.assistant.id,
      parentId: job.parent.id,
      model: job.assistant.model,
      ...(job.source.kind === 'agent' && { agent: job.conversation.agent, runId: job.source.runId }),
    })
    const controller = new AbortController()
    const done = this.#run(job, writer, controller)
      .catch((err: unknown) =>
        logger.error({ err, messageId: job.assistant.id }, 'generation failed to settle'),
      )
      .finally(() => {
        this.#running.delete(job.assistant.id)
        return job.slot.release()
      })
    this.#running.set(job.assistant.id, { controller, done })
  }

  /** Asks the generation to stop wherever it runs; resolves once it settled if it runs here. */
  async stop(messageId: string): Promise<boolean> {
    await this.#o.state.values.set(stopKey(messageId), '1', this.#o.config.CHAT_STREAM_TTL_MS)
    const local = this.#running.get(messageId)
    if (local === undefined) return false
    local.controller.abort('stop' satisfies StopReason)
    await local.done
    return true
  }

  /** Shutdown: generations still running are cut off (stored as interrupted) and settled. */
  async close(): Promise<void> {
    const running = [...this.#running.values()]
    for (const r of running) r.controller.abort('shutdown' satisfies StopReason)
    await Promise.all(running.map((r) => r.done))
  }

  async #run(job: GenerationJob, writer: EventLogWriter, controller: AbortController): Promise<void> {
    const { config, store, state, logger } = this.#o
    const { assistant, conversation } = job
    const id = assistant.id
    const saver = new PartialSaver(store, conversation.id, id, config, logger)
    const progress: AnswerProgress = { content: '', finishReason: null, usage: null }
    let status: MessageStatus = 'complete'
    let error: StreamError | null = null

    let ticks = 0
    const heartbeat = setInterval(() => {
      ticks++
      if (ticks % Math.round(LEASE_REFRESH_MS / STOP_POLL_MS) === 0) {
        state.values.set(leaseKey(id), this.#replica, LEASE_TTL_MS).catch(() => {})
      }
      state.values.get(stopKey(id)).then(
        (flag) => {
          if (flag !== null) controller.abort('stop' satisfies StopReason)
        },
        () => {},
      )
    }, STOP_POLL_MS)
    const deadline = setTimeout(
      () => controller.abort('timeout' satisfies StopReason),
      config.CHAT_GENERATION_TIMEOUT_MS,
    )
    try {
      if (job.source.kind === 'model') {
        await this.#streamModel(job.source, job.apiKey, id, progress, writer, saver, controller.signal)
      } else {
        await relayRun({
          agents: this.#o.agents,
          runId: job.source.runId,
          token: job.apiKey,
          messageId: id,
          writer,
          progress,
          onText: (text) => saver.offer(text),
          signal: controller.signal,
          logger,
        })
      }
      // An abort may also just end the body early (the in-process transport does): not an answer.
      if (controller.signal.aborted) throw controller.signal.reason
      if (progress.status !== undefined) status = progress.status
      error = progress.error ?? null
    } catch (err) {
      const reason = controller.signal.aborted ? (controller.signal.reason as StopReason) : null
      if (reason === 'stop') {
        status = 'stopped'
      } else {
        status = 'failed'
        error = describeFailure(err, reason)
        if (reason === null) logger.warn({ err, messageId: id }, 'generation failed')
      }
    } finally {
      clearInterval(heartbeat)
      clearTimeout(deadline)
    }

    // The record first, then the events that announce it: a client that saw `done` reads the final message.
    await saver.idle()
    const { content, usage } = progress
    const finishReason = progress.finishReason
    const promptTokens = job.source.kind === 'model' ? job.source.context.promptTokens : 0
    const inputTokens = usage?.inputTokens ?? promptTokens
    const outputTokens = usage?.outputTokens ?? (content === '' ? 0 : estimateTokens(content))
    const final: Message = {
      ...assistant,
      content,
      status,
      inputTokens,
      outputTokens,
      finishReason,
      errorCode: error?.code ?? null,
    }
    try {
      await store.updateMessage(conversation.id, id, {
        content,
        status,
        inputTokens,
        outputTokens,
        ...(finishReason !== null && { finishReason }),
        ...(error !== null && { errorCode: error.code }),
      })
    } catch (err) {
      logger.error({ err, messageId: id }, 'the final answer could not be stored')
    }
    // Free before the end is announced: a client that saw `done` may ask again at once.
    await job.slot.release()
    void writer.append('usage', { messageId: id, inputTokens, outputTokens, estimated: usage === null })
    await (error === null
      ? writer.append('done', {
          messageId: id,
          status,
          finishReason: finishReason ?? (status === 'stopped' ? 'stop' : null),
          ...progress.done,
        })
      : writer.append('error', { messageId: id, error }))

    await publishMessage(this.#o.bus, logger, job.owner, final)
    await store
      .updateConversation(job.owner, conversation.id, { lastActivityAt: new Date() })
      .catch((err: unknown) => logger.warn({ err }, 'conversation activity not updated'))
    if (status !== 'failed') {
      await this.#o.history.remember(conversation.id, {
        turns: [toTurn(final), ...job.history.turns],
        complete: job.history.complete,
      })
    }
    await Promise.all([state.values.del(leaseKey(id)), state.values.del(stopKey(id))]).catch(() => {})
  }

  /** The model's answer through the llm-router, streamed into the log as it comes. */
  async #streamModel(
    source: ModelSource,
    apiKey: string,
    id: string,
    progress: AnswerProgress,
    writer: EventLogWriter,
    saver: PartialSaver,
    signal: AbortSignal,
  ): Promise<void> {
    const stream = await this.#o.llm(apiKey).chat.completions.create(
      {
        model: source.model,
        messages: source.context.messages,
        max_tokens: source.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    )
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      const delta = choice?.delta?.content
      if (delta) {
        progress.content += delta
        void writer.append('message.delta', { messageId: id, delta })
        saver.offer(progress.content)
      }
      if (choice?.finish_reason) progress.finishReason = choice.finish_reason
      if (chunk.usage) {
        progress.usage = {
          inputTokens: chunk.usage.prompt_tokens,
          outputTokens: chunk.usage.completion_tokens,
        }
      }
    }
  }
}

function describeFailure(err: unknown, reason: StopReason | null): StreamError {
  if (reason === 'shutdown') {
    return {
      type: 'server_error',
      code: chatStreamCodes.interrupted,
      message: 'The service restarted mid-answer',
    }
  }
  if (reason === 'timeout') {
    return { type: 'server_error', code: chatStreamCodes.timeout, message: 'The answer took too long' }
  }
  if (err instanceof APIConnectionTimeoutError) {
    return {
      type: 'server_error',
      code: chatStreamCodes.routerTimeout,
      message: 'The llm-router did not answer in time',
    }
  }
  // The openai client's errors carry the router's code and type (also for an in-band stream error).
  const e = err as { code?: unknown; type?: unknown; message?: unknown; error?: { message?: unknown } }
  return {
    type: typeof e.type === 'string' ? e.type : 'server_error',
    code: typeof e.code === 'string' ? e.code : chatStreamCodes.upstream,
    message:
      typeof e.error?.message === 'string'
        ? e.error.message
        : typeof e.message === 'string'
          ? e.message
          : 'The model failed',
  }
}

/**
 * Saves the growing answer every CHAT_SAVE_EVERY_CHUNKS chunks or CHAT_SAVE_INTERVAL_MS, whichever
 * comes first: a crash loses at most that much. One save at a time; a newer text waiting replaces
 * an older one, so the store never goes back.
 */
class PartialSaver {
  readonly #store: ChatStore
  readonly #conversationId: string
  readonly #messageId: string
  readonly #everyChunks: number
  readonly #intervalMs: number
  readonly #logger: Logger
  #chunks = 0
  #lastSave = Date.now()
  #waiting: string | null = null
  #inFlight: Promise<void> | null = null

  constructor(
    store: ChatStore,
    conversationId: string,
    messageId: string,
    config: ChatConfig,
    logger: Logger,
  ) {
    this.#store = store
    this.#conversationId = conversationId
    this.#messageId = messageId
    this.#everyChunks = config.CHAT_SAVE_EVERY_CHUNKS
    this.#intervalMs = config.CHAT_SAVE_INTERVAL_MS
    this.#logger = logger
  }

  offer(content: string): void {
    this.#chunks++
    if (this.#chunks < this.#everyChunks && Date.now() - this.#lastSave < this.#intervalMs) return
    this.#chunks = 0
    this.#lastSave = Date.now()
    this.#save(content)
  }

  #save(content: string): void {
    if (this.#inFlight !== null) {
      this.#waiting = content
      return
    }
    this.#inFlight = this.#store
      .updateMessage(this.#conversationId, this.#messageId, { content })
      .catch((err: unknown) => this.#logger.warn({ err, messageId: this.#messageId }, 'partial save failed'))
      .finally(() => {
        this.#inFlight = null
        const next = this.#waiting
        this.#waiting = null
        if (next !== null) this.#save(next)
      })
  }

  async idle(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight
  }
}
