// The part of a streamed answer after the first upstream event arrived: from here on the caller
// has bytes, so nothing is retried. The upstream's events are written as they come; the end is
// the usage chunk (when the caller asked for it) and `[DONE]`, or, if the upstream fails, an
// in-band error event and the end of the response: never a clean end that hides a failure.
import { once } from 'node:events'
import type { OutgoingHttpHeaders } from 'node:http'
import type { Usage } from '@switchyard/contracts'
import type { FastifyReply } from 'fastify'
import { llmRouterErrors } from '../errors.ts'
import type { Attempt } from '../pipeline/attempt.ts'
import { classify } from '../pipeline/failures.ts'
import { attemptsHeader, deploymentHeader } from '../pipeline/lifecycle.ts'
import type { LlmRequest, PipelineDeps } from '../pipeline/request.ts'
import type { ChatStream } from '../upstreams/provider.ts'
import { promptText, tokenCounter } from '../usage/tokens.ts'

export interface OpenedStream {
  upstream: ChatStream
  iterator: AsyncIterator<Uint8Array>
  head: IteratorResult<Uint8Array>
}

const done = Buffer.from('data: [DONE]\n\n')

export async function writeStream(
  deps: PipelineDeps,
  llm: LlmRequest,
  reply: FastifyReply,
  attempt: Attempt,
  opened: OpenedStream,
  includeUsage: boolean,
): Promise<void> {
  const { upstream, iterator, head } = opened
  llm.tokens = upstream
  llm.ttftMs = reply.elapsedTime
  // Written on the raw response: a stream through Fastify's reply pipeline (a PassThrough piped to
  // the socket) measurably costs more per request. The kit's onSend/onResponse hooks do not run for
  // it; llm_request_duration_seconds covers these requests.
  reply.hijack()
  const out = reply.raw
  out.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    [deploymentHeader]: attempt.state.deployment.id,
    [attemptsHeader]: String(llm.attempts),
  })
  let finished = head.done === true
  // The first events wait for the end of this turn: when the whole answer is already here (a
  // short reply, a fast upstream), headers, events and [DONE] leave in one write instead of two.
  // (Not res.cork(): an end() while corked loses its data.)
  let held: Uint8Array | undefined = finished ? undefined : head.value
  const release = () => {
    if (held !== undefined) {
      const bytes = held
      held = undefined
      out.write(bytes)
    }
  }
  const finish = (tail: string | Uint8Array) => {
    if (held === undefined) out.end(tail)
    else {
      const bytes = Buffer.concat([held, typeof tail === 'string' ? Buffer.from(tail) : tail])
      held = undefined
      out.end(bytes)
    }
  }
  const flush = setImmediate(release)
  try {
    while (!finished) {
      const next = await iterator.next()
      if (next.done) {
        finished = true
        break
      }
      attempt.event()
      release()
      if (!out.write(next.value)) await once(out, 'drain', { signal: llm.signal })
    }
    if (includeUsage) {
      const chunk = usageChunk(llm, upstream, await usageOf(llm, upstream))
      finish(Buffer.concat([Buffer.from(chunk), done]))
    } else {
      finish(done)
    }
    llm.succeed()
  } catch (error) {
    if (llm.gone) {
      held = undefined
      out.destroy()
      return
    }
    const failure = classify(error)
    if (failure.unhealthy) {
      deps.router.health.recordFailure(attempt.state.deployment.id, {
        rateLimited: failure.errorClass === 'rate_limited',
        retryAfterMs: failure.retryAfterMs,
      })
    }
    deps.logger.warn(
      { reqId: llm.requestId, deployment: attempt.state.deployment.id, err: error },
      'upstream stream failed after it started',
    )
    const interrupted = new llmRouterErrors.StreamInterrupted()
    llm.fail(interrupted.code)
    finish(
      `data: ${JSON.stringify({
        error: { type: 'server_error', message: interrupted.message, code: interrupted.code },
      })}\n\n`,
    )
  } finally {
    clearImmediate(flush)
    attempt.end()
    if (!finished) {
      // Stops the provider's generator, which releases the upstream connection.
      attempt.abort(llm.goneReason ?? new Error('stream ended early'))
      iterator.return?.().catch(() => {})
    }
  }
}

/** The upstream's usage, or counts made here when it reported none. */
async function usageOf(llm: LlmRequest, upstream: ChatStream): Promise<Usage> {
  const reported = upstream.usage()
  if (reported !== null) return reported
  const count = await tokenCounter()
  const prompt = llm.messages === undefined ? 0 : count(promptText(llm.messages))
  const completion = count(upstream.completionText())
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
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
