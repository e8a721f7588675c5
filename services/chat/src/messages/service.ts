import { setTimeout as sleep } from 'node:timers/promises'
import type { Identity } from '@switchyard/contracts'
import { threadOf } from '../agents/thread.ts'
import { ownerOf, requireConversation, systemPromptOf } from '../conversations/service.ts'
import type { Caller, ChatDeps } from '../deps.ts'
import { chatErrors, chatStreamCodes } from '../errors.ts'
import { type Branch, fitContext, type Turn, toTurn } from '../generation/context.ts'
import { appendTerminal, eventLogLimits, firstEvent } from '../generation/event-log.ts'
import type { AgentSource, ModelSource, Slot } from '../generation/generations.ts'
import { publishMessage } from '../generation/publish.ts'
import { messageCursor, parseMessageCursor } from '../pagination.ts'
import {
  type Conversation,
  type Message,
  type MessageStatus,
  type Owner,
  writtenMessage,
} from '../store/chat-store.ts'
import { newMessageId } from '../store/ids.ts'

/** A message of the caller's conversation, or 404. */
export async function requireMessage(
  deps: ChatDeps,
  identity: Identity,
  conversationId: string,
  messageId: string,
): Promise<{ conversation: Conversation; message: Message }> {
  const conversation = await requireConversation(deps, identity, conversationId)
  const message = await deps.store.getMessage(conversation.id, messageId)
  if (message === null) throw new chatErrors.MessageNotFound(messageId)
  return { conversation, message }
}

export async function listMessages(
  deps: ChatDeps,
  identity: Identity,
  conversationId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: Message[]; nextCursor: string | null }> {
  // The cursor is checked before the conversation: a bad cursor is a 400 even on a missing conversation.
  const before = query.cursor === undefined ? undefined : parseMessageCursor(query.cursor)
  const conversation = await requireConversation(deps, identity, conversationId)
  const page = await deps.store.listMessages(conversation.id, {
    limit: query.limit,
    ...(before !== undefined && { before }),
  })
  const last = page.items.at(-1)
  return { items: page.items, nextCursor: page.more && last ? messageCursor(last.id) : null }
}

function checkContent(deps: ChatDeps, content: string): string {
  if (content.trim() === '') throw Object.assign(new chatErrors.EmptyMessage(), { param: 'content' })
  const limit = deps.config.CHAT_MAX_MESSAGE_CHARS
  if (content.length > limit) {
    throw Object.assign(new chatErrors.MessageTooLong(content.length, limit), { param: 'content' })
  }
  return content
}

/** A generation already writing `message` blocks a new answer from it. */
async function refuseWhileGenerating(deps: ChatDeps, message: Message | null): Promise<void> {
  if (message?.status === 'streaming' && (await deps.generations.isAlive(message.id))) {
    throw new chatErrors.GenerationInProgress(message.id)
  }
}

/**
 * A new user message after `parentId` (null: a new first message), and its answer. Everything
 * that can be refused is checked before anything is stored.
 */
async function ask(
  deps: ChatDeps,
  caller: Caller,
  conversation: Conversation,
  parentId: string | null,
  content: string,
): Promise<Message> {
  checkContent(deps, content)
  const parent = parentId === null ? null : await deps.store.getMessage(conversation.id, parentId)
  if (parentId !== null && parent === null) {
    throw Object.assign(new chatErrors.BadParent(parentId), { param: 'parentId' })
  }
  await refuseWhileGenerating(deps, parent)
  const slot = await deps.generations.reserve(ownerOf(caller.identity))
  return withSlot(slot, async () => {
    const question: Turn = { id: newMessageId(), parentId, role: 'user', content, usable: true }
    const prepared =
      conversation.agent === null
        ? await prepareModelAnswer(deps, caller, conversation, async (budget) => {
            const history = await deps.history.branch(conversation.id, parentId, budget)
            return { turns: [question, ...history.turns], complete: history.complete }
          })
        : await startAgentRun(deps, caller, conversation, conversation.agent, parentId, question)
    return withRun(deps, caller, prepared, async () => {
      const user = await deps.store.addMessage(
        writtenMessage({ id: question.id, conversationId: conversation.id, parentId, role: 'user', content }),
      )
      await publishMessage(deps.bus, deps.logger, ownerOf(caller.identity), user)
      // The first message names an untitled conversation.
      const title = conversation.title === '' ? titleFrom(content) : undefined
      return answer(deps, caller, conversation, user, prepared, slot, title)
    })
  })
}

/** How an answer will be written, settled before anything is stored: a refusal stores nothing. */
interface PreparedAnswer {
  source: ModelSource | AgentSource
  /** The branch up to the question, newest first. */
  branch: Branch
}

/** The model's answer: its limits, the system prompt, and as much of the branch as fits. */
async function prepareModelAnswer(
  deps: ChatDeps,
  caller: Caller,
  conversation: Conversation,
  branchOf: (budget: number) => Promise<Branch>,
): Promise<PreparedAnswer> {
  const model = conversation.model
  if (model === null) throw Object.assign(new chatErrors.ModelRequired(), { param: 'model' })
  const limits = await deps.models.require(model, caller.token)
  const system = await systemPromptOf(deps, caller, conversation)
  const branch = await branchOf(limits.promptBudget)
  const context = fitContext({
    system,
    turns: [...branch.turns].reverse(),
    model,
    budget: limits.promptBudget,
  })
  return { source: { kind: 'model', model, context, maxTokens: limits.maxOutputTokens }, branch }
}

/**
 * An agent's answer: its run starts now (in the background, with the caller's token), following
 * the run of the answer above on the branch, so agent's 4xx (another org's agent, say) is this
 * request's and nothing is stored. The agent keeps the history: only the question is sent.
 */
async function startAgentRun(
  deps: ChatDeps,
  caller: Caller,
  conversation: Conversation,
  agent: string,
  after: string | null,
  question: Turn,
): Promise<PreparedAnswer> {
  const threadId = await threadOf(deps, caller, conversation.id, after)
  const run = await deps.agents.start(
    agent,
    { input: question.content, ...(threadId !== null && { thread_id: threadId }) },
    caller,
  )
  return { source: { kind: 'agent', runId: run.id }, branch: { turns: [question], complete: false } }
}

/** Runs what stores the answer; a failure leaves no agent run behind that nobody would read. */
async function withRun<T>(deps: ChatDeps, caller: Caller, prepared: PreparedAnswer, work: () => Promise<T>) {
  try {
    return await work()
  } catch (error) {
    if (prepared.source.kind === 'agent') await deps.agents.cancel(prepared.source.runId, caller.token)
    throw error
  }
}

/** Runs what leads to a generation; a failure before the generation took the slot gives it back. */
async function withSlot<T>(slot: Slot, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    await slot.release()
    throw error
  }
}

/** Stores the answer's placeholder, points the conversation at it and starts the generation. */
async function answer(
  deps: ChatDeps,
  caller: Caller,
  conversation: Conversation,
  question: Message,
  prepared: PreparedAnswer,
  slot: Slot,
  title?: string,
): Promise<Message> {
  const { source } = prepared
  const id = newMessageId()
  await deps.generations.claim(id)
  const assistant = await deps.store.addMessage({
    id,
    conversationId: conversation.id,
    parentId: question.id,
    role: 'assistant',
    content: '',
    status: 'streaming',
    model: source.kind === 'model' ? source.model : null,
    inputTokens: null,
    outputTokens: null,
    finishReason: null,
    errorCode: null,
    runId: source.kind === 'agent' ? source.runId : null,
  })
  const owner = ownerOf(caller.identity)
  await deps.store.updateConversation(owner, conversation.id, {
    activeLeafId: id,
    lastActivityAt: new Date(),
    ...(title !== undefined && { title }),
  })
  await deps.generations.start({
    owner,
    conversation,
    assistant,
    parent: question,
    source,
    history: prepared.branch,
    apiKey: caller.token,
    slot,
  })
  return assistant
}

function titleFrom(content: string): string {
  const line = content.trim().split('\n')[0] ?? ''
  return line.length > 80 ? `${line.slice(0, 79)}…` : line
}

/** `POST /messages`: a user message after the active leaf (or `parentId`), and its answer. */
export async function sendMessage(
  deps: ChatDeps,
  caller: Caller,
  conversationId: string,
  input: { content: string; parentId?: string | undefined },
): Promise<Message> {
  const conversation = await requireConversation(deps, caller.identity, conversationId)
  return ask(deps, caller, conversation, input.parentId ?? conversation.activeLeafId, input.content)
}

/** `POST /messages/{id}/edit`: a sibling of a user message with new content, and its answer. */
export async function editMessage(
  deps: ChatDeps,
  caller: Caller,
  conversationId: string,
  messageId: string,
  content: string,
): Promise<Message> {
  const { conversation, message } = await requireMessage(deps, caller.identity, conversationId, messageId)
  if (message.role !== 'user') throw new chatErrors.WrongRole('user', 'edited')
  return ask(deps, caller, conversation, message.parentId, content)
}

/** `POST /messages/{id}/regenerate`: a sibling answer to the same question. */
export async function regenerateMessage(
  deps: ChatDeps,
  caller: Caller,
  conversationId: string,
  messageId: string,
): Promise<Message> {
  const { conversation, message } = await requireMessage(deps, caller.identity, conversationId, messageId)
  if (message.role !== 'assistant' || message.parentId === null) {
    throw new chatErrors.WrongRole('assistant', 'regenerated')
  }
  await refuseWhileGenerating(deps, message)
  const question = await deps.store.getMessage(conversation.id, message.parentId)
  if (question === null) throw new chatErrors.MessageNotFound(message.parentId)
  const slot = await deps.generations.reserve(ownerOf(caller.identity))
  return withSlot(slot, async () => {
    const prepared =
      conversation.agent === null
        ? await prepareModelAnswer(deps, caller, conversation, (budget) =>
            deps.history.branch(conversation.id, question.id, budget),
          )
        : await startAgentRun(
            deps,
            caller,
            conversation,
            conversation.agent,
            question.parentId,
            toTurn(question),
          )
    return withRun(deps, caller, prepared, () => answer(deps, caller, conversation, question, prepared, slot))
  })
}

/**
 * `POST /messages/{id}/stop`: ends a generation wherever it runs and answers the message as
 * stored (`stopped`, with the text so far). A message that is not being generated is answered
 * as it is, so a repeated stop is harmless. An agent's answer also cancels its run in agent, with
 * the stopper's token; one waiting for an approval is cancelled there and stored as stopped.
 */
export async function stopMessage(
  deps: ChatDeps,
  caller: Caller,
  conversationId: string,
  messageId: string,
): Promise<Message> {
  const { identity } = caller
  const { conversation, message } = await requireMessage(deps, identity, conversationId, messageId)
  if (message.runId !== null && (message.status === 'streaming' || message.status === 'awaiting_approval')) {
    await deps.agents.cancel(message.runId, caller.token)
  }
  if (message.status === 'awaiting_approval') {
    await deps.store.updateMessage(conversation.id, message.id, { status: 'stopped' })
    return { ...message, status: 'stopped' }
  }
  if (message.status !== 'streaming') return message
  const ranHere = await deps.generations.stop(message.id)
  if (!ranHere) {
    // Another replica runs it: it sees the flag within a poll. Or none does any more: settle it here.
    const deadline = Date.now() + 5_000
    for (;;) {
      const current = await deps.store.getMessage(conversation.id, message.id)
      if (current === null || current.status !== 'streaming') break
      if (!(await deps.generations.isAlive(message.id))) {
        await settleOrphan(deps, ownerOf(identity), current, 'stopped')
        break
      }
      if (Date.now() > deadline) break
      await sleep(100)
    }
  }
  return (await deps.store.getMessage(conversation.id, message.id)) ?? message
}

/**
 * True for the first caller per message, on any replica: a log whose generation is gone gets its
 * end written once, though several tails and stop requests may find it missing.
 */
async function claimSettlement(deps: ChatDeps, messageId: string): Promise<boolean> {
  return (
    (await deps.state.values.increment(`chat:settled:${messageId}`, 1, deps.config.CHAT_STREAM_TTL_MS)) === 1
  )
}

/**
 * Ends the record and the event log of an answer whose generation is gone (its replica died):
 * `stopped` when someone asked for that, else `failed` as interrupted. Once per message, whichever
 * replica or client gets here first.
 */
export async function settleOrphan(
  deps: ChatDeps,
  owner: Owner,
  message: Message,
  as: Extract<MessageStatus, 'stopped' | 'failed'>,
): Promise<void> {
  if (!(await claimSettlement(deps, message.id))) return
  const errorCode = as === 'failed' ? chatStreamCodes.interrupted : null
  await deps.store.updateMessage(message.conversationId, message.id, {
    status: as,
    ...(errorCode !== null && { errorCode }),
  })
  await appendTerminal(
    deps.state,
    message.id,
    eventLogLimits(deps.config),
    errorCode === null
      ? { event: 'done', data: { messageId: message.id, status: as, finishReason: 'stop' } }
      : {
          event: 'error',
          data: {
            messageId: message.id,
            error: { type: 'server_error', code: errorCode, message: 'The answer was interrupted' },
          },
        },
  )
  await publishMessage(deps.bus, deps.logger, owner, { ...message, status: as, errorCode })
}

/**
 * What a tail does when its log went quiet: nothing while a replica runs the generation; else the
 * log is missing its end (the replica died, or the log lost it), which is written now from the
 * stored message.
 */
export async function onQuietLog(deps: ChatDeps, owner: Owner, message: Message) {
  if (await deps.generations.isAlive(message.id)) return
  const current = await deps.store.getMessage(message.conversationId, message.id)
  if (current === null || current.status === 'streaming') {
    await settleOrphan(deps, owner, current ?? message, 'failed')
    return
  }
  if (!(await claimSettlement(deps, message.id))) return
  await appendTerminal(
    deps.state,
    message.id,
    eventLogLimits(deps.config),
    current.status === 'failed'
      ? {
          event: 'error',
          data: {
            messageId: current.id,
            error: {
              type: 'server_error',
              code: current.errorCode ?? chatStreamCodes.upstream,
              message: 'The answer failed',
            },
          },
        }
      : {
          event: 'done',
          data: { messageId: current.id, status: current.status, finishReason: current.finishReason },
        },
  )
}

/**
 * Where a stream request starts: after `lastEventId` (`<messageId>:<seq>`) or from the first
 * event. 410 when the log no longer holds what the client is missing.
 */
export async function resumePoint(
  deps: ChatDeps,
  message: Message,
  lastEventId: string | undefined,
): Promise<number> {
  let afterSeq = 0
  if (lastEventId !== undefined && lastEventId !== '') {
    const match = /^(.+):(\d{1,9})$/.exec(lastEventId)
    if (!match || match[1] !== message.id) throw new chatErrors.BadLastEventId(lastEventId)
    afterSeq = Number(match[2])
  }
  const first = await firstEvent(deps.state, message.id)
  if (first === undefined ? message.status !== 'streaming' : first.seq > afterSeq + 1) {
    throw new chatErrors.StreamExpired(message.id)
  }
  return afterSeq
}
