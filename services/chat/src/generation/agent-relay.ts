import { setTimeout as sleep } from 'node:timers/promises'
import type { AgentRunEvent, AgentRunView } from '@switchyard/contracts'
import type { Logger } from 'pino'
import type { AgentRuns } from '../agents/agent-runs.ts'
import { chatStreamCodes } from '../errors.ts'
import type { AnswerProgress, StreamError } from './answer-progress.ts'
import type { EventLogWriter, RelayedEventName } from './event-log.ts'

/** Agent events a chat stream carries as they are (with the message id): the run's story. */
const relayed: ReadonlySet<string> = new Set<RelayedEventName>([
  'run.start',
  'route',
  'tool.call',
  'tool.result',
  'approval.required',
])

/** Reads of the run's events in a row that bring nothing before the answer fails. */
const MAX_EMPTY_READS = 5
const RETRY_MS = 250

export interface RelayOptions {
  agents: AgentRuns
  runId: string
  /** The caller's token, fresh when the run started: it opens the run's event stream. */
  token: string
  messageId: string
  writer: EventLogWriter
  progress: AnswerProgress
  /** The answer's text so far, after each delta (partial saves). */
  onText(content: string): void
  /** Aborted with the generation's reason (`stop`, `shutdown`, `timeout`). */
  signal: AbortSignal
  logger: Logger
}

/**
 * Relays an agent run's events into the message's event log until the run ends or pauses: the
 * answer's `message.delta` as chat's own (a plain chat client reads the answer as usual), the
 * run's story (`run.start`, `route`, `tool.call`, `tool.result`, `approval.required`) as events of
 * the same names, and the run's end as the message's. The stored answer is the run's `output`.
 * A stream that ends without the run's end (agent ended it on a pause, or a replica went away) is
 * settled from the run itself, or read again after the last event relayed. A stop or timeout
 * cancels the run in agent; a shutdown leaves it running there (the message names it).
 */
export async function relayRun(o: RelayOptions): Promise<void> {
  const onAbort = () => {
    const reason = o.signal.reason
    if (reason === 'stop' || reason === 'timeout') void o.agents.cancel(o.runId, o.token)
  }
  o.signal.addEventListener('abort', onAbort, { once: true })
  try {
    let afterSeq = 0
    let emptyReads = 0
    for (;;) {
      o.signal.throwIfAborted()
      const read = await readEvents(o, afterSeq)
      if (read.ended) return
      if (read.lastSeq > afterSeq) emptyReads = 0
      afterSeq = read.lastSeq
      o.signal.throwIfAborted()
      const run = await o.agents.get(o.runId, o.token)
      if (run !== null && settleFrom(run, o.progress)) return
      if (++emptyReads >= MAX_EMPTY_READS) {
        o.progress.status = 'failed'
        o.progress.error = {
          type: 'server_error',
          code: chatStreamCodes.agentUnavailable,
          message: `agent stopped answering; the run ${o.runId} may go on there`,
        }
        return
      }
      await sleep(RETRY_MS * emptyReads, undefined, { signal: o.signal })
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort)
  }
}

/** One read of the run's events after `afterSeq`; `ended` once the run's end was relayed. */
async function readEvents(o: RelayOptions, afterSeq: number): Promise<{ ended: boolean; lastSeq: number }> {
  let lastSeq = afterSeq
  try {
    const answer = await o.agents.client.runEvents(o.runId, afterSeq, { token: o.token, signal: o.signal })
    if (!answer.ok) {
      o.logger.warn({ runId: o.runId, status: answer.status, code: answer.error?.code }, 'run events refused')
      return { ended: false, lastSeq }
    }
    for await (const event of answer.body) {
      lastSeq = event.seq
      if (relayEvent(o, event)) return { ended: true, lastSeq }
    }
  } catch (err) {
    if (o.signal.aborted) throw o.signal.reason
    o.logger.warn({ err, runId: o.runId }, 'run events broke off')
  }
  return { ended: false, lastSeq }
}

/** Relays one event; true when it ends the run. */
function relayEvent(o: RelayOptions, { event, data }: AgentRunEvent): boolean {
  const { progress, writer, messageId } = o
  switch (event) {
    case 'message.delta': {
      const delta = typeof data.delta === 'string' ? data.delta : ''
      if (delta === '') return false
      progress.content += delta
      void writer.append('message.delta', { messageId, delta })
      o.onText(progress.content)
      return false
    }
    case 'usage':
      progress.usage = {
        inputTokens: Number(data.inputTokens) || 0,
        outputTokens: Number(data.outputTokens) || 0,
      }
      return false
    case 'done':
      if (data.status === 'cancelled') {
        progress.status = 'stopped'
        progress.finishReason = 'stop'
      } else {
        if (typeof data.output === 'string') progress.content = data.output
        progress.finishReason = 'stop'
      }
      return true
    case 'error':
      progress.status = 'failed'
      progress.error = streamErrorOf(data.error)
      return true
    default:
      if (relayed.has(event)) void writer.append(event as RelayedEventName, { messageId, ...data })
      return false
  }
}

/** Ends the answer from the run as agent stores it; false while the run still goes. */
function settleFrom(run: AgentRunView, progress: AnswerProgress): boolean {
  progress.usage = { inputTokens: run.usage.input_tokens, outputTokens: run.usage.output_tokens }
  switch (run.status) {
    case 'awaiting_approval':
      progress.status = 'awaiting_approval'
      progress.finishReason = 'approval_required'
      progress.done = {
        runId: run.id,
        approvals: run.pending_approvals.map((p) => ({
          callId: p.call_id,
          name: p.name,
          arguments: p.arguments,
        })),
      }
      return true
    case 'succeeded':
      progress.content = run.output ?? progress.content
      progress.finishReason = 'stop'
      return true
    case 'cancelled':
      progress.status = 'stopped'
      progress.finishReason = 'stop'
      return true
    case 'failed':
      progress.status = 'failed'
      progress.error = streamErrorOf(run.error)
      return true
    default:
      return false
  }
}

function streamErrorOf(error: unknown): StreamError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>
  return {
    type: typeof e.type === 'string' ? e.type : 'server_error',
    code: typeof e.code === 'string' ? e.code : chatStreamCodes.upstream,
    message: typeof e.message === 'string' ? e.message : 'The agent run failed',
  }
}
