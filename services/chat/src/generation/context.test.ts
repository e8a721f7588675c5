import { createMemoryState } from '@switchyard/state'
import { pino } from 'pino'
import { describe, expect, onTestFinished, test } from 'vitest'
import { type ChatStore, type Message, writtenMessage } from '../store/chat-store.ts'
import { createTimeIdGenerator, ticksOf, timeOf } from '../store/ids.ts'
import { estimateTokens, fitContext, History, type Turn, toTurn } from './context.ts'

const turn = (role: 'user' | 'assistant', content: string, usable = true): Turn => ({
  id: content,
  parentId: null,
  role,
  content,
  usable,
})

describe('fitContext', () => {
  test('keeps the system prompt and the newest turns that fit, dropping the oldest first', () => {
    const turns = [
      turn('user', 'q1 '.repeat(40)),
      turn('assistant', 'a1 '.repeat(40)),
      turn('user', 'q2 '.repeat(40)),
      turn('assistant', 'a2 '.repeat(40)),
      turn('user', 'q3'),
    ]
    const system = 'Be brief.'
    const cost = (t: Turn) => estimateTokens(t.content)
    // Room for the system prompt, q3, a2 and q2, not a1.
    const budget =
      estimateTokens(system) + cost(turns[4] as Turn) + cost(turns[3] as Turn) + cost(turns[2] as Turn) + 5
    const fitted = fitContext({ system, turns, model: 'm', budget })
    expect(fitted.messages.map((m) => m.content)).toEqual([
      system,
      turns[2]?.content,
      turns[3]?.content,
      'q3',
    ])
    expect(fitted.dropped).toBe(2)
    expect(fitted.promptTokens).toBe(budget - 5)
  })

  test('never starts the history with an answer whose question was dropped, and skips unusable turns', () => {
    const turns = [
      turn('user', 'q1 '.repeat(40)),
      turn('assistant', 'a1'),
      turn('assistant', 'failed', false),
      turn('user', 'q2'),
    ]
    // Room for a1 and q2 but not q1: a1 goes too.
    const budget = estimateTokens('a1') + estimateTokens('q2') + 1
    const fitted = fitContext({ system: null, turns, model: 'm', budget })
    expect(fitted.messages).toEqual([{ role: 'user', content: 'q2' }])
    expect(fitted.promptTokens).toBe(estimateTokens('q2'))
  })

  test('a system prompt and last message that do not fit are refused', () => {
    const error = (() => {
      try {
        fitContext({ system: 'x'.repeat(400), turns: [turn('user', 'hello')], model: 'tiny', budget: 50 })
      } catch (e) {
        return e as { code: string; statusCode: number; message: string }
      }
    })()
    expect(error).toMatchObject({ code: 'CHAT_ERR_CONTEXT_TOO_SMALL', statusCode: 400 })
    expect(error?.message).toContain(String(estimateTokens('x'.repeat(400)) + estimateTokens('hello')))
  })
})

/** The part of a ChatStore History reads, over an array, counting the reads. */
function messagesStore(messages: Message[]) {
  const reads = { get: 0, list: 0 }
  /** Every message id the store answered, in order. */
  const read: string[] = []
  const newestFirst = [...messages].sort((a, b) => (ticksOf(b.id) > ticksOf(a.id) ? 1 : -1))
  const unused = () => Promise.reject(new Error('not used by History'))
  const store: ChatStore = {
    createConversation: unused,
    getConversation: unused,
    listConversations: unused,
    updateConversation: unused,
    deleteConversation: unused,
    addMessage: unused,
    updateMessage: unused,
    ping: async () => true,
    async getMessage(_conversationId, id) {
      reads.get++
      const found = messages.find((m) => m.id === id) ?? null
      if (found) read.push(found.id)
      return found
    },
    async listMessages(_conversationId, { limit, before }) {
      reads.list++
      const from = before === undefined ? 0 : newestFirst.findIndex((m) => m.id === before) + 1
      const items = newestFirst.slice(from, from + limit)
      read.push(...items.map((m) => m.id))
      return { items, more: from + limit < newestFirst.length }
    },
  }
  return { store, reads, read }
}

/** A chain q1, a1, q2, a2... of `pairs` exchanges, each message `words` words long, plus a sibling. */
function chain(pairs: number, words: number): Message[] {
  const next = createTimeIdGenerator()
  const out: Message[] = []
  let parentId: string | null = null
  for (let i = 1; i <= pairs; i++) {
    for (const role of ['user', 'assistant'] as const) {
      const id = next()
      const content = `${role[0]}${i} `.repeat(words).trim()
      out.push({
        ...writtenMessage({ id, conversationId: 'c', parentId, role, content }),
        createdAt: new Date(timeOf(id)),
      })
      parentId = id
    }
  }
  return out
}

function history(store: ChatStore) {
  const state = createMemoryState()
  onTestFinished(() => state.close())
  return new History({ store, state, logger: pino({ level: 'silent' }), ttlMs: 60_000, maxTurns: 64 })
}

describe('History', () => {
  test('a branch is walked from the store once, then served from the shared cache', async () => {
    const messages = chain(5, 3)
    const { store, reads } = messagesStore(messages)
    const h = history(store)
    const leaf = messages.at(-1) as Message
    const first = await h.branch('c', leaf.id, 10_000)
    expect(first.complete).toBe(true)
    expect(first.turns.map((t) => t.id)).toEqual([...messages].reverse().map((m) => m.id))
    const walked = { ...reads }
    expect(walked.get + walked.list).toBeGreaterThan(0)

    const second = await h.branch('c', leaf.id, 10_000)
    expect(second).toEqual(first)
    expect(reads).toEqual(walked)
  })

  test('a walk stops once the budget is filled, and a larger budget walks again', async () => {
    const messages = chain(6, 20)
    const { store, reads } = messagesStore(messages)
    const h = history(store)
    const leaf = messages.at(-1) as Message
    const perMessage = estimateTokens((messages[0] as Message).content)
    const small = await h.branch('c', leaf.id, perMessage * 3)
    expect(small.turns).toHaveLength(3)
    expect(small.complete).toBe(false)
    const afterSmall = reads.get + reads.list
    const all = await h.branch('c', leaf.id, 100_000)
    expect(all.turns).toHaveLength(12)
    expect(reads.get + reads.list).toBeGreaterThan(afterSmall)
  })

  test('the walk reads only the active branch: no row of a long abandoned branch beside it', async () => {
    // q1 a1, then an abandoned branch of 150 exchanges after a1, then the active branch q2 a2 after
    // a1 too: every abandoned row is newer than a1 and older than q2, between the leaf and its root.
    const trunk = chain(1, 3)
    const a1 = trunk[1] as Message
    const abandoned = chain(150, 3)
    ;(abandoned[0] as Message).parentId = a1.id
    const active = chain(1, 3).map((m) => ({ ...m, content: `active ${m.content}` }))
    ;(active[0] as Message).parentId = a1.id
    const messages = [...trunk, ...abandoned, ...active]
    const { store, read } = messagesStore(messages)
    const leaf = active[1] as Message
    const branch = await history(store).branch('c', leaf.id, 100_000)
    expect(branch.complete).toBe(true)
    const expected = [leaf, active[0], a1, trunk[0]].map((m) => (m as Message).id)
    expect(branch.turns.map((t) => t.id)).toEqual(expected)
    const abandonedIds = new Set(abandoned.map((m) => m.id))
    expect(read.filter((id) => abandonedIds.has(id))).toEqual([])
    expect(read).toEqual(expected)
  })

  test('remember caches an answer with its branch; a branch with an answer still streaming is not cached', async () => {
    const messages = chain(2, 2)
    const { store, reads } = messagesStore(messages)
    const h = history(store)
    const parent = await h.branch('c', (messages.at(-1) as Message).id, 10_000)
    const answer = { ...(messages.at(-1) as Message), id: createTimeIdGenerator()(Date.now() + 1_000) }
    await h.remember('c', { turns: [toTurn(answer), ...parent.turns], complete: parent.complete })
    const before = reads.get + reads.list
    expect((await h.branch('c', answer.id, 10_000)).turns).toHaveLength(5)
    expect(reads.get + reads.list).toBe(before)

    const streaming = chain(1, 2)
    ;(streaming[1] as Message).status = 'streaming'
    const s = messagesStore(streaming)
    const hs = history(s.store)
    await hs.branch('c', (streaming[1] as Message).id, 10_000)
    const once = s.reads.get + s.reads.list
    await hs.branch('c', (streaming[1] as Message).id, 10_000)
    expect(s.reads.get + s.reads.list).toBeGreaterThan(once)
  })
})
