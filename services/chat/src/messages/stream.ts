import { openEventStream } from '@switchyard/kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ownerOf } from '../conversations/service.ts'
import type { ChatDeps } from '../deps.ts'
import { tailEventLog } from '../generation/event-log.ts'
import { nativeFormat, openaiFormat, wantsOpenAIFormat } from '../generation/sse-format.ts'
import type { Message } from '../store/chat-store.ts'
import { onQuietLog } from './service.ts'

/** How long one read of the log waits before checking the generation is still alive, in ms. */
const TAIL_WAIT_MS = 1_000

/**
 * Answers with the message's events as SSE, from after `afterSeq` to its end. Leaving early only
 * ends this response; the generation goes on. On shutdown the tail keeps sending until the
 * generation ends or the kit's grace period runs out.
 */
export async function streamMessage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ChatDeps,
  message: Message,
  afterSeq: number,
  format: string | undefined,
): Promise<FastifyReply> {
  const formatter = wantsOpenAIFormat(format, request.headers.accept)
    ? openaiFormat(message.id, message.model ?? '', message.createdAt.getTime())
    : nativeFormat(message.id)
  const stream = openEventStream(request, reply, {
    headers: { 'x-chat-message-id': message.id, 'x-chat-conversation-id': message.conversationId },
  })
  const owner = ownerOf(request.identity)
  await tailEventLog({
    state: deps.state,
    messageId: message.id,
    afterSeq,
    waitMs: TAIL_WAIT_MS,
    // Gone: the client left, or the kit destroyed the stream at the end of a shutdown's grace.
    stopped: () => stream.stopReason === 'disconnect' || stream.closed,
    onQuiet: () => onQuietLog(deps, owner, message),
    send: (event) => {
      for (const sse of formatter(event)) stream.send(sse)
    },
  })
  stream.close()
  return reply
}
