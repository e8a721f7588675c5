import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import { chatErrors } from '../errors.ts'
import type { ChatStore, Message, MessageRole } from '../store/chat-store.ts'

/** What the model sees of a message. */
export interface Turn {
  id: string
  parentId: string | null
  role: MessageRole
  content: string
  /** False for an answer that failed or is still being written: followed, never sent. */
  usable: boolean
}

/** A branch from a leaf towards the root, newest first, and whether it reached the root. */
export interface Branch {
  turns: Turn[]
  complete: boolean
}

/**
 * Tokens a text costs, estimated: about four characters a token, plus a few for the message's
 * framing. Erring high only drops a turn early; the router still enforces the real window.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4
}

export const toTurn = (m: Message): Turn => ({
  id: m.id,
  parentId: m.parentId,
  role: m.role,
  content: m.content,
  usable: m.role === 'user' || ((m.status === 'complete' || m.status === 'stopped') && m.content !== ''),
})

export interface FitInput {
  system: string | null
  /** Oldest first; the last one is the message being answered. */
  turns: Turn[]
  model: string
  /** Prompt tokens the model has room for (its window minus what is kept for the answer). */
  budget: number
}

export interface FittedContext {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[]
  /** Estimated prompt tokens. */
  promptTokens: number
  /** Turns left out because they did not fit. */
  dropped: number
}

/**
 * The history the model gets: the system prompt, then as many of the newest turns as fit; the
 * oldest go first. What is sent never starts with an answer whose question was dropped.
 * @throws CHAT_ERR_CONTEXT_TOO_SMALL when even the system prompt and the last message do not fit.
 */
export function fitContext({ system, turns, model, budget }: FitInput): FittedContext {
  const usable = turns.filter((t) => t.usable)
  const last = usable.at(-1)
  let used = system ? estimateTokens(system) : 0
  const needed = used + (last ? estimateTokens(last.content) : 0)
  if (needed > budget) throw new chatErrors.ContextTooSmall(needed, model, budget)
  const kept: Turn[] = []
  for (let i = usable.length - 1; i >= 0; i--) {
    const turn = usable[i] as Turn
    const cost = estimateTokens(turn.content)
    if (used + cost > budget) break
    used += cost
    kept.unshift(turn)
  }
  while (kept[0]?.role === 'assistant') used -= estimateTokens((kept.shift() as Turn).content)
  return {
    messages: [
      ...(system ? [{ role: 'system' as const, content: system }] : []),
      ...kept.map((t) => ({ role: t.role, content: t.content })),
    ],
    promptTokens: used,
    dropped: usable.length - kept.length,
  }
}

export interface HistoryOptions {
  store: ChatStore
  state: SharedState
  logger: Logger
  /** Cache entry lifetime, ms. */
  ttlMs: number
  /** Most turns one cache entry keeps. */
  maxTurns: number
}

const cacheKey = (conversationId: string, leafId: string) => `chat:branch:${conversationId}:${leafId}`
const branchTokens = (turns: Turn[]) => turns.reduce((sum, t) => sum + estimateTokens(t.content), 0)

/**
 * Reads branches: a leaf and its ancestors. The last turns of a branch are cached in the shared
 * state under the leaf's id. Finished messages never change (an edit or a regeneration makes a
 * sibling), so an entry is never stale; it only ends when its TTL does.
 */
export class History {
  readonly #o: HistoryOptions

  constructor(options: HistoryOptions) {
    this.#o = options
  }

  /**
   * The branch ending at `leafId`, newest first, enough of it to fill `budget` tokens (or all of it).
   */
  async branch(conversationId: string, leafId: string | null, budget: number): Promise<Branch> {
    if (leafId === null) return { turns: [], complete: true }
    const cached = await this.#cached(conversationId, leafId)
    if (cached && (cached.complete || branchTokens(cached.turns) >= budget)) return cached
    const { branch, final } = await this.#walk(conversationId, leafId, budget)
    // An answer still being written would be cached half-done: only finished branches are kept.
    if (final) await this.remember(conversationId, branch)
    return branch
  }

  /** Caches a branch under its leaf (its first turn) when every message in it is final. */
  async remember(conversationId: string, branch: Branch): Promise<void> {
    const leaf = branch.turns[0]
    if (leaf === undefined) return
    const turns = branch.turns.slice(0, this.#o.maxTurns)
    const entry: Branch = { turns, complete: branch.complete && turns.length === branch.turns.length }
    try {
      await this.#o.state.values.set(cacheKey(conversationId, leaf.id), JSON.stringify(entry), this.#o.ttlMs)
    } catch (err) {
      this.#o.logger.warn({ err }, 'branch cache write failed')
    }
  }

  async #cached(conversationId: string, leafId: string): Promise<Branch | undefined> {
    try {
      const raw = await this.#o.state.values.get(cacheKey(conversationId, leafId))
      return raw === null ? undefined : (JSON.parse(raw) as Branch)
    } catch (err) {
      this.#o.logger.warn({ err }, 'branch cache read failed')
      return undefined
    }
  }

  /**
   * Follows parent ids from the leaf, one point read per message: only the branch's own rows are
   * read. (Paging newest first read every row in between too: an abandoned branch of a thousand
   * messages beside the active one cost a thousand rows per walk.)
   */
  async #walk(
    conversationId: string,
    leafId: string,
    budget: number,
  ): Promise<{ branch: Branch; final: boolean }> {
    const turns: Turn[] = []
    let final = true
    let tokens = 0
    let want: string | null = leafId
    while (want !== null && (turns.length === 0 || tokens < budget)) {
      const message = await this.#o.store.getMessage(conversationId, want)
      if (message === null) {
        // A leaf that is gone is no branch; a missing ancestor ends the walk short (incomplete).
        if (turns.length === 0) return { branch: { turns: [], complete: true }, final: false }
        break
      }
      turns.push(toTurn(message))
      if (message.status === 'streaming') final = false
      tokens += estimateTokens(message.content)
      want = message.parentId
    }
    return { branch: { turns, complete: want === null }, final }
  }
}
