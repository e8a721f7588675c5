import type { Identity } from '@switchyard/contracts'
import type { Caller, ChatDeps } from '../deps.ts'
import { chatErrors } from '../errors.ts'
import { conversationCursor, parseConversationCursor } from '../pagination.ts'
import type { Conversation, ConversationPatch, Owner } from '../store/chat-store.ts'
import { newConversationId } from '../store/ids.ts'
import type { ConversationChanges, NewConversation } from './schemas.ts'

export const ownerOf = (identity: Identity): Owner => ({ orgId: identity.orgId, userId: identity.userId })

/** The caller's conversation; anyone else's, or none, is a 404 (never a 403: it does not exist for them). */
export async function requireConversation(
  deps: ChatDeps,
  identity: Identity,
  id: string,
): Promise<Conversation> {
  const conversation = await deps.store.getConversation(ownerOf(identity), id)
  if (conversation === null) throw new chatErrors.ConversationNotFound(id)
  return conversation
}

function checkSystemPrompt(deps: ChatDeps, text: string): void {
  if (text.length > deps.config.CHAT_MAX_MESSAGE_CHARS) {
    throw Object.assign(new chatErrors.MessageTooLong(text.length, deps.config.CHAT_MAX_MESSAGE_CHARS), {
      param: 'systemPrompt',
    })
  }
}

export async function createConversation(
  deps: ChatDeps,
  caller: Caller,
  input: NewConversation,
): Promise<Conversation> {
  if (input.agent !== undefined) return createAgentConversation(deps, caller, input.agent, input)
  const model = input.model ?? deps.config.CHAT_DEFAULT_MODEL
  if (model === undefined) throw Object.assign(new chatErrors.ModelRequired(), { param: 'model' })
  if (input.systemPrompt !== undefined && input.prompt !== undefined) {
    throw Object.assign(new chatErrors.PromptConflict(), { param: 'prompt' })
  }
  if (input.systemPrompt !== undefined) checkSystemPrompt(deps, input.systemPrompt)
  await deps.models.require(model, caller.token)
  if (input.prompt !== undefined) await deps.prompts.resolve(input.prompt, caller.identity, caller.token)
  const now = new Date()
  return deps.store.createConversation({
    id: newConversationId(),
    ...ownerOf(caller.identity),
    title: input.title?.trim() ?? '',
    model,
    agent: null,
    systemPrompt: input.systemPrompt ?? null,
    promptRef: input.prompt ?? null,
    bucketMs: deps.config.CHAT_MESSAGE_BUCKET_MS,
    createdAt: now,
    lastActivityAt: now,
  })
}

/**
 * A conversation an agent answers (or agent's supervisor, `auto`): no model, no system prompt (the
 * agent has its instructions). The agent is checked with the caller's token before anything is
 * stored, and its id kept, so a rename does not lose it.
 */
async function createAgentConversation(
  deps: ChatDeps,
  caller: Caller,
  agent: string,
  input: NewConversation,
): Promise<Conversation> {
  if (input.model !== undefined) {
    throw Object.assign(new chatErrors.AgentConflict('Name a model or an agent, not both'), {
      param: 'model',
    })
  }
  if (input.systemPrompt !== undefined || input.prompt !== undefined) {
    throw Object.assign(
      new chatErrors.AgentConflict(
        "An agent's conversation takes no system prompt: the agent has its instructions",
      ),
      { param: input.systemPrompt !== undefined ? 'systemPrompt' : 'prompt' },
    )
  }
  const agentId = await deps.agents.resolve(agent, caller)
  const now = new Date()
  return deps.store.createConversation({
    id: newConversationId(),
    ...ownerOf(caller.identity),
    title: input.title?.trim() ?? '',
    model: null,
    agent: agentId,
    systemPrompt: null,
    promptRef: null,
    bucketMs: deps.config.CHAT_MESSAGE_BUCKET_MS,
    createdAt: now,
    lastActivityAt: now,
  })
}

export async function listConversations(
  deps: ChatDeps,
  identity: Identity,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: Conversation[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : parseConversationCursor(query.cursor)
  const page = await deps.store.listConversations(ownerOf(identity), {
    limit: query.limit,
    ...(after && { after }),
  })
  const last = page.items.at(-1)
  return { items: page.items, nextCursor: page.more && last ? conversationCursor(last) : null }
}

export async function updateConversation(
  deps: ChatDeps,
  caller: Caller,
  id: string,
  changes: ConversationChanges,
): Promise<Conversation> {
  const current = await requireConversation(deps, caller.identity, id)
  if (
    current.agent !== null &&
    [changes.model, changes.systemPrompt, changes.prompt].some((change) => typeof change === 'string')
  ) {
    throw new chatErrors.AgentConflict(
      "An agent's conversation has no model or system prompt to change: start a new conversation",
    )
  }
  const patch: ConversationPatch = {}
  if (changes.title !== undefined) patch.title = changes.title.trim()
  if (changes.model !== undefined) {
    await deps.models.require(changes.model, caller.token)
    patch.model = changes.model
  }
  if (
    changes.systemPrompt !== undefined &&
    changes.prompt !== undefined &&
    changes.systemPrompt !== null &&
    changes.prompt !== null
  ) {
    throw Object.assign(new chatErrors.PromptConflict(), { param: 'prompt' })
  }
  // One kind of system prompt at a time: setting one clears the other.
  if (typeof changes.systemPrompt === 'string') {
    checkSystemPrompt(deps, changes.systemPrompt)
    patch.systemPrompt = changes.systemPrompt
    patch.promptRef = null
  } else if (changes.systemPrompt === null) {
    patch.systemPrompt = null
  }
  if (typeof changes.prompt === 'string') {
    await deps.prompts.resolve(changes.prompt, caller.identity, caller.token)
    patch.promptRef = changes.prompt
    patch.systemPrompt = null
  } else if (changes.prompt === null) {
    patch.promptRef = null
  }
  if (changes.activeLeafId !== undefined) {
    const leaf = await deps.store.getMessage(current.id, changes.activeLeafId)
    if (leaf === null) {
      throw Object.assign(new chatErrors.BadParent(changes.activeLeafId), { param: 'activeLeafId' })
    }
    patch.activeLeafId = leaf.id
  }
  const updated = await deps.store.updateConversation(ownerOf(caller.identity), id, patch)
  if (updated === null) throw new chatErrors.ConversationNotFound(id)
  return updated
}

export async function deleteConversation(deps: ChatDeps, identity: Identity, id: string): Promise<void> {
  const conversation = await requireConversation(deps, identity, id)
  // An answer still being written would keep saving into a conversation that is gone.
  if (conversation.activeLeafId !== null) {
    const leaf = await deps.store.getMessage(conversation.id, conversation.activeLeafId)
    if (leaf?.status === 'streaming') await deps.generations.stop(leaf.id)
  }
  if (!(await deps.store.deleteConversation(ownerOf(identity), id))) {
    throw new chatErrors.ConversationNotFound(id)
  }
}

/** The system prompt an answer uses now: the literal one, or the reference resolved (cached). */
export async function systemPromptOf(
  deps: ChatDeps,
  caller: Caller,
  conversation: Conversation,
): Promise<string | null> {
  if (conversation.promptRef !== null) {
    return deps.prompts.resolve(conversation.promptRef, caller.identity, caller.token)
  }
  return conversation.systemPrompt
}
