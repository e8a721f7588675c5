import { chatErrors } from './errors.ts'
import type { ConversationPosition } from './store/chat-store.ts'
import { isTimeId, isUuid } from './store/ids.ts'

/**
 * Cursors are opaque to clients: base64url JSON naming the list they belong to and where it
 * continues. A cursor that does not decode, or belongs to another list, is a 400.
 */
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

function decode(cursor: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {}
  throw badCursor()
}

const badCursor = () => Object.assign(new chatErrors.BadCursor(), { param: 'cursor' })

export function conversationCursor(position: ConversationPosition): string {
  return encode({ k: 'conversations', t: position.lastActivityAt.getTime(), id: position.id })
}

export function parseConversationCursor(cursor: string): ConversationPosition {
  const { k, t, id } = decode(cursor)
  if (k !== 'conversations' || !Number.isSafeInteger(t) || typeof id !== 'string' || !isUuid(id)) {
    throw badCursor()
  }
  return { lastActivityAt: new Date(t as number), id }
}

export function messageCursor(messageId: string): string {
  return encode({ k: 'messages', before: messageId })
}

export function parseMessageCursor(cursor: string): string {
  const { k, before } = decode(cursor)
  if (k !== 'messages' || typeof before !== 'string' || !isTimeId(before)) throw badCursor()
  return before
}
