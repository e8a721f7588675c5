import type { MessageStatus } from '../store/chat-store.ts'

/** A failure as an `error` event carries it and the message stores its code. */
export interface StreamError {
  type: string
  code: string
  message: string
}

/**
 * What an answer's source (the model's stream, or an agent's run) has produced so far, written as
 * it goes: when the generation is cut off (stop, shutdown, timeout) the text so far is kept.
 */
export interface AnswerProgress {
  content: string
  finishReason: string | null
  /** Reported by the source; null: estimated from the text. */
  usage: { inputTokens: number; outputTokens: number } | null
  /** How the answer ended when the source said so itself (an agent run's end); unset: complete. */
  status?: Extract<MessageStatus, 'failed' | 'stopped' | 'awaiting_approval'>
  error?: StreamError
  /** More fields of the `done` event (an agent run's pending approvals). */
  done?: Record<string, unknown>
}
