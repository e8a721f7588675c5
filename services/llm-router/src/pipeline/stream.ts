// The part of a streamed answer after the first upstream event arrived: from here on the caller
// has bytes, so nothing is retried. The upstream's events are written as they come; the end is
// the usage chunk (when the caller asked for it) and `[DONE]`, or, if the upstream fails, an
// in-band error event and the end of the response: never a clean end that hides a failure.
import type { Usage } from '@switchyard/contracts'
import type { FastifyReply } from 'fastify'
import { llmRouterErrors } from '../errors.ts'
import { RawSseResponse } from '../fast-path/sse.ts'
import type { ChatStream } from '../upstreams/provider.ts'
import { usageOf } from '../usage/tokens.ts'
import type { Attempt, Caller } from './attempt.ts'
import { recordFailure } from './failures.ts'
import {
  attemptsHeader,
  deploymentHeader,
  type LlmRequest,
  type PipelineDeps,
  type RequestStatus,
} from './request.ts'

/** A stream whose first event arrived (the attempt succeeded): what the writer continues. */
export interface OpenedStream {
  upstream: ChatStream
  iterator: AsyncIterator<Uint8Array>
  head: IteratorResult<Uint8Array>
  /** The caller asked for the usage chunk before `[DONE]` (`stream_options.include_usage`). */
  includeUsage: boolean
}

/** How the stream ended, for the request's report. */
export interface StreamEnd {
  /** From request received to the first event written, ms. */
  ttftMs: number
  status: RequestStatus
  errorCode: string | null
}

const done = Buffer.from('data: [DONE]\n\n')

export async function writeStream(
  deps: PipelineDeps,
  llm: LlmRequest,
  caller: Caller,
  reply: FastifyReply,
  attempt: Attempt,
  opened: OpenedStream,
  attempts: number,
): Promise<StreamEnd> {
  const { upstream, iterator, head } = opened
  const ttftMs = reply.elapsedTime
  let finished = head.done === true
  const out = new RawSseResponse(
    reply,
    { [deploymentHeader]: attempt.state.deployment.id, [attemptsHeader]: String(attempts) },
    finished ? undefined : head.value,
  )
  try {
    while (!finished) {
      const next = await iterator.next()
      if (next.done) {
        finished = true
        break
      }
      attempt.event()
      if (!out.write(next.value)) await out.drained(caller.signal)
    }
    if (opened.includeUsage) {
      const chunk = usageChunk(llm, upstream, await usageOf(llm.prompt, upstream))
      out.end(Buffer.concat([Buffer.from(chunk), done]))
    } else {
      out.end(done)
    }
    return { ttftMs, status: 'ok', errorCode: null }
  } catch (error) {
    if (caller.gone) {
      out.destroy()
      return { ttftMs, status: 'cancelled', errorCode: 'LLM_ROUTER_ERR_CLIENT_CLOSED' }
    }
    recordFailure(deps.router.health, attempt.state.deployment.id, error)
    deps.logger.warn(
      { reqId: llm.requestId, deployment: attempt.state.deployment.id, err: error },
      'upstream stream failed after it started',
    )
    const interrupted = new llmRouterErrors.StreamInterrupted()
    out.end(
      `data: ${JSON.stringify({
        error: { type: 'server_error', message: interrupted.message, code: interrupted.code },
      })}\n\n`,
    )
    return { ttftMs, status: 'error', errorCode: interrupted.code }
  } finally {
    attempt.end()
    if (!finished) {
      // Stops the provider's generator, which releases the upstream connection.
      attempt.abort(caller.goneReason ?? new Error('stream ended early'))
      iterator.return?.().catch(() => {})
    }
  }
}

function usageChunk(llm: LlmRequest, upstream: ChatStream, usage: Usage): string {
  return `data: ${JSON.stringify({
    id: upstream.id(),
    object: 'chat.completion.chunk',
    created: upstream.created(),
    model: llm.alias,
    choices: [],
    usage,
  })}\n\n`
}
