import { chatMessagesV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { Logger } from 'pino'
import type { Message, Owner } from '../store/chat-store.ts'

/**
 * `chat.messages.v1` for a stored message (a user message once stored, an answer once final),
 * keyed by conversation so a conversation's events arrive in order. It carries no content.
 * Analytics and audit consume it: a failure is logged, it does not fail the request.
 */
export async function publishMessage(
  bus: EventBus,
  logger: Logger,
  owner: Owner,
  message: Message,
): Promise<void> {
  try {
    await bus.publish(chatMessagesV1, message.conversationId, {
      orgId: owner.orgId,
      userId: owner.userId,
      conversationId: message.conversationId,
      messageId: message.id,
      role: message.role,
      model: message.role === 'assistant' ? message.model : null,
      inputTokens: message.role === 'assistant' ? message.inputTokens : null,
      outputTokens: message.role === 'assistant' ? message.outputTokens : null,
      createdAt: message.createdAt.toISOString(),
    })
  } catch (err) {
    logger.error({ err, messageId: message.id }, 'chat.messages.v1 not published')
  }
}
