import type { Identity } from '@switchyard/contracts'
import { alice as aliceCaller, bob as bobCaller, eve } from '@switchyard/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  type ChatStore,
  type Conversation,
  type Message,
  type NewConversation,
  type NewMessage,
  type Owner,
  writtenMessage,
} from './chat-store.ts'
import { createTimeIdGenerator, newConversationId, timeOf } from './ids.ts'

export interface ChatStoreFixture {
  store: ChatStore
  /** Removes what the test wrote; called once the test finished. */
  cleanup?(): Promise<void>
}

/** The platform's test callers, as a store sees them: eve has alice's user id in another org. */
const ownerOf = ({ orgId, userId }: Identity): Owner => ({ orgId, userId })
const alice = ownerOf(aliceCaller)
const bob = ownerOf(bobCaller)
const mallory = ownerOf(eve)

/** One message partition per second: a few seconds of messages cross several buckets. */
const TINY_BUCKET_MS = 1_000

function conversationOf(owner: Owner, at: number, extra: Partial<NewConversation> = {}): NewConversation {
  return {
    id: newConversationId(),
    ...owner,
    title: 'A title',
    model: 'fake-chat',
    agent: null,
    systemPrompt: null,
    promptRef: null,
    bucketMs: TINY_BUCKET_MS,
    createdAt: new Date(at),
    lastActivityAt: new Date(at),
    ...extra,
  }
}

function messageOf(conversationId: string, id: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    ...writtenMessage({ id, conversationId, parentId: null, role: 'user', content: `text of ${id}` }),
    ...extra,
  }
}

/** Every message newest first, read page by page through `before`. */
async function readAll(store: ChatStore, conversationId: string, limit: number): Promise<Message[][]> {
  const pages: Message[][] = []
  let before: string | undefined
  for (;;) {
    const page = await store.listMessages(conversationId, { limit, ...(before ? { before } : {}) })
    pages.push(page.items)
    if (!page.more) return pages
    before = page.items.at(-1)?.id
  }
}

/**
 * What every ChatStore must do. `createFixture` is called once per test; stores may share their
 * database between tests (ids are random), but not leave state another test could see.
 */
export function chatStoreContract(name: string, createFixture: () => Promise<ChatStoreFixture>): void {
  describe(`ChatStore contract: ${name}`, () => {
    async function open(): Promise<ChatStore> {
      const fixture = await createFixture()
      onTestFinished(async () => {
        await fixture.cleanup?.()
      })
      return fixture.store
    }

    test('a conversation reads back as written, and only by its owner', async () => {
      const store = await open()
      const at = Date.UTC(2025, 0, 1, 12)
      const created = await store.createConversation(
        conversationOf(alice, at, { systemPrompt: 'Be brief.', title: 'Hello' }),
      )
      expect(created.activeLeafId).toBeNull()
      const read = await store.getConversation(alice, created.id)
      expect(read).toEqual({
        id: created.id,
        ...alice,
        title: 'Hello',
        model: 'fake-chat',
        agent: null,
        systemPrompt: 'Be brief.',
        promptRef: null,
        activeLeafId: null,
        bucketMs: TINY_BUCKET_MS,
        createdAt: new Date(at),
        lastActivityAt: new Date(at),
      })
      expect(await store.getConversation(bob, created.id)).toBeNull()
      expect(await store.getConversation(mallory, created.id)).toBeNull()
      expect(await store.getConversation(alice, newConversationId())).toBeNull()
      expect(await store.getConversation(alice, 'not-a-uuid')).toBeNull()
    })

    test('a patch changes only what it names; null clears a prompt; others cannot patch', async () => {
      const store = await open()
      const c = await store.createConversation(
        conversationOf(alice, Date.now(), { systemPrompt: 'old', promptRef: null }),
      )
      const leaf = createTimeIdGenerator()()
      const patched = await store.updateConversation(alice, c.id, {
        title: 'Renamed',
        activeLeafId: leaf,
        systemPrompt: null,
        promptRef: 'greeter@production',
      })
      const expected = {
        ...c,
        title: 'Renamed',
        activeLeafId: leaf,
        systemPrompt: null,
        promptRef: 'greeter@production',
      }
      expect(patched).toEqual(expected)
      expect(await store.getConversation(alice, c.id)).toEqual(expected)
      expect(await store.updateConversation(bob, c.id, { title: 'Hijacked' })).toBeNull()
      expect(await store.updateConversation(mallory, c.id, { title: 'Hijacked' })).toBeNull()
      expect((await store.getConversation(alice, c.id))?.title).toBe('Renamed')
    })

    test("a user's conversations list by last activity, newest first, page by page, without the others'", async () => {
      const store = await open()
      // A user of its own per test: the list is per owner, and stores may share a database.
      const owner: Owner = { orgId: 'org_acme', userId: `user_${newConversationId()}` }
      const base = Date.UTC(2025, 1, 1)
      const made: Conversation[] = []
      for (let i = 0; i < 7; i++)
        made.push(await store.createConversation(conversationOf(owner, base + i * 60_000)))
      await store.createConversation(conversationOf({ ...owner, userId: `${owner.userId}_other` }, base))
      await store.createConversation(conversationOf({ ...owner, orgId: 'org_other' }, base))
      // Activity moves the oldest to the top, twice (the second move must not leave a copy behind).
      const oldest = made[0] as Conversation
      await store.updateConversation(owner, oldest.id, { lastActivityAt: new Date(base + 3_600_000) })
      await store.updateConversation(owner, oldest.id, { lastActivityAt: new Date(base + 7_200_000) })

      const expected = [
        oldest.id,
        ...made
          .slice(1)
          .reverse()
          .map((c) => c.id),
      ]
      const seen: string[] = []
      const pageSizes: number[] = []
      let after: { lastActivityAt: Date; id: string } | undefined
      for (;;) {
        const page = await store.listConversations(owner, { limit: 3, ...(after ? { after } : {}) })
        seen.push(...page.items.map((c) => c.id))
        pageSizes.push(page.items.length)
        const last = page.items.at(-1)
        if (!page.more || !last) break
        after = { lastActivityAt: last.lastActivityAt, id: last.id }
      }
      expect(seen).toEqual(expected)
      expect(pageSizes).toEqual([3, 3, 1])
      const top = (await store.listConversations(owner, { limit: 1 })).items[0]
      expect(top?.lastActivityAt).toEqual(new Date(base + 7_200_000))
    })

    test('messages page newest first across time buckets, each exactly once', async () => {
      const store = await open()
      const base = Date.UTC(2025, 2, 1)
      const c = await store.createConversation(conversationOf(alice, base))
      const nextId = createTimeIdGenerator()
      // 13 messages over ~9 s with a 1 s bucket: several per bucket, empty buckets between some,
      // and two in one millisecond (the id keeps them apart and ordered).
      const offsets = [0, 150, 420, 980, 1_000, 1_001, 2_500, 2_500, 5_200, 5_999, 6_000, 8_750, 9_100]
      const ids: string[] = []
      for (const offset of offsets) {
        const id = nextId(base + offset)
        ids.push(id)
        await store.addMessage(messageOf(c.id, id, { parentId: ids.at(-2) ?? null }))
      }
      const newestFirst = [...ids].reverse()
      for (const limit of [1, 4, 5, 13, 50]) {
        const pages = await readAll(store, c.id, limit)
        expect(pages.flat().map((m) => m.id)).toEqual(newestFirst)
        expect(pages.map((p) => p.length)).toEqual(
          Array.from({ length: Math.ceil(ids.length / limit) }, (_, i) =>
            Math.min(limit, ids.length - i * limit),
          ),
        )
      }
      const [newest] = (await store.listMessages(c.id, { limit: 1 })).items
      expect(newest).toEqual({
        ...messageOf(c.id, ids.at(-1) as string, { parentId: ids.at(-2) as string }),
        createdAt: new Date(base + 9_100),
      })
      // Another conversation's messages never show.
      const other = await store.createConversation(conversationOf(alice, base))
      await store.addMessage(messageOf(other.id, nextId(base + 3_000)))
      expect((await readAll(store, c.id, 100)).flat()).toHaveLength(ids.length)
    })

    test('a message is updated in place as its answer grows, and reads back whole', async () => {
      const store = await open()
      const c = await store.createConversation(conversationOf(alice, Date.now()))
      const nextId = createTimeIdGenerator()
      const question = await store.addMessage(messageOf(c.id, nextId()))
      const answerId = nextId()
      await store.addMessage(
        messageOf(c.id, answerId, {
          parentId: question.id,
          role: 'assistant',
          content: '',
          status: 'streaming',
          model: 'fake-chat',
        }),
      )
      await store.updateMessage(c.id, answerId, { content: 'Hel' })
      expect((await store.getMessage(c.id, answerId))?.content).toBe('Hel')
      await store.updateMessage(c.id, answerId, {
        content: 'Hello there',
        status: 'complete',
        inputTokens: 12,
        outputTokens: 2,
        finishReason: 'stop',
      })
      expect(await store.getMessage(c.id, answerId)).toEqual({
        id: answerId,
        conversationId: c.id,
        parentId: question.id,
        role: 'assistant',
        content: 'Hello there',
        status: 'complete',
        model: 'fake-chat',
        inputTokens: 12,
        outputTokens: 2,
        finishReason: 'stop',
        errorCode: null,
        runId: null,
        createdAt: new Date(timeOf(answerId)),
      })
      expect(await store.getMessage(c.id, nextId())).toBeNull()
      expect(await store.getMessage(c.id, 'not-a-time-id')).toBeNull()
    })

    test("an agent's conversation has no model; its answers name their run and may await approval", async () => {
      const store = await open()
      const c = await store.createConversation(
        conversationOf(alice, Date.now(), { model: null, agent: 'auto' }),
      )
      expect(await store.getConversation(alice, c.id)).toMatchObject({ model: null, agent: 'auto' })
      const nextId = createTimeIdGenerator()
      const question = await store.addMessage(messageOf(c.id, nextId()))
      const answerId = nextId()
      await store.addMessage(
        messageOf(c.id, answerId, {
          parentId: question.id,
          role: 'assistant',
          content: '',
          status: 'streaming',
          runId: 'run_abc',
        }),
      )
      await store.updateMessage(c.id, answerId, {
        status: 'awaiting_approval',
        finishReason: 'approval_required',
      })
      expect(await store.getMessage(c.id, answerId)).toMatchObject({
        status: 'awaiting_approval',
        runId: 'run_abc',
        model: null,
      })
      expect((await store.getMessage(c.id, question.id))?.runId).toBeNull()
    })

    test('branches: siblings share a parent, all are kept and listed', async () => {
      const store = await open()
      const base = Date.now()
      const c = await store.createConversation(conversationOf(alice, base))
      const nextId = createTimeIdGenerator()
      const root = await store.addMessage(messageOf(c.id, nextId(), { content: 'question' }))
      const first = await store.addMessage(
        messageOf(c.id, nextId(), {
          parentId: root.id,
          role: 'assistant',
          content: 'answer 1',
          model: 'fake-chat',
        }),
      )
      const regenerated = await store.addMessage(
        messageOf(c.id, nextId(), {
          parentId: root.id,
          role: 'assistant',
          content: 'answer 2',
          model: 'fake-chat',
        }),
      )
      const edited = await store.addMessage(
        messageOf(c.id, nextId(), { parentId: null, content: 'question, edited' }),
      )
      await store.updateConversation(alice, c.id, { activeLeafId: regenerated.id })

      const all = (await store.listMessages(c.id, { limit: 10 })).items
      expect(all.map((m) => [m.content, m.parentId])).toEqual([
        ['question, edited', null],
        ['answer 2', root.id],
        ['answer 1', root.id],
        ['question', null],
      ])
      expect((await store.getMessage(c.id, first.id))?.parentId).toBe(root.id)
      expect((await store.getConversation(alice, c.id))?.activeLeafId).toBe(regenerated.id)
      expect(edited.createdAt.getTime()).toBeGreaterThanOrEqual(base - 1)
    })

    test('deleting a conversation removes it and its messages, only for its owner', async () => {
      const store = await open()
      const base = Date.UTC(2025, 3, 1)
      const c = await store.createConversation(conversationOf(alice, base))
      const nextId = createTimeIdGenerator()
      const ids = [0, 1_500, 3_100].map((offset) => nextId(base + offset))
      for (const id of ids) await store.addMessage(messageOf(c.id, id))
      expect(await store.deleteConversation(bob, c.id)).toBe(false)
      expect(await store.deleteConversation(mallory, c.id)).toBe(false)
      expect(await store.getConversation(alice, c.id)).not.toBeNull()

      expect(await store.deleteConversation(alice, c.id)).toBe(true)
      expect(await store.getConversation(alice, c.id)).toBeNull()
      expect(await store.deleteConversation(alice, c.id)).toBe(false)
      expect((await store.listMessages(c.id, { limit: 10 })).items).toEqual([])
      expect(await store.getMessage(c.id, ids[0] as string)).toBeNull()
      const listed = await store.listConversations(alice, { limit: 100 })
      expect(listed.items.map((x) => x.id)).not.toContain(c.id)
    })

    test('ping answers true', async () => {
      const store = await open()
      expect(await store.ping()).toBe(true)
    })
  })
}
