import type { Caller, ChatDeps } from '../deps.ts'
import type { Message } from '../store/chat-store.ts'

/** Ancestors looked at for the thread: past this, a branch starts a new thread. */
const MAX_HOPS = 50

/**
 * The agent run a new message follows up (its `thread_id`): the run of the nearest answer above
 * `fromId` on the branch, so the agent keeps the conversation (and, through the supervisor, the
 * thread's agent), and a branch (edit, regenerate) continues from its own past. Failed answers are
 * passed over (their run's transcript may end mid-turn), and so is a run still waiting for an
 * approval nobody gave. Null: a new thread.
 */
export async function threadOf(
  deps: ChatDeps,
  caller: Caller,
  conversationId: string,
  fromId: string | null,
): Promise<string | null> {
  let id = fromId
  for (let hop = 0; id !== null && hop < MAX_HOPS; hop++) {
    const message: Message | null = await deps.store.getMessage(conversationId, id)
    if (message === null) return null
    const runId = message.role === 'assistant' ? message.runId : null
    if (runId !== null && (await usable(deps, caller, message, runId))) return runId
    id = message.parentId
  }
  return null
}

async function usable(deps: ChatDeps, caller: Caller, answer: Message, runId: string): Promise<boolean> {
  if (answer.status === 'failed') return false
  if (answer.status !== 'awaiting_approval') return true
  // Approved (or rejected) through agent since: the run went on, and its transcript is whole again.
  const run = await deps.agents.get(runId, caller.token)
  return run !== null && run.status !== 'awaiting_approval' && run.status !== 'failed'
}
