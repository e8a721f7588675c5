import type { SqlPool } from '@switchyard/kit'
import type {
  ChatStore,
  Conversation,
  ConversationPatch,
  Message,
  MessagePatch,
  MessageRole,
  MessageStatus,
} from './chat-store.ts'
import { isTimeId, isUuid, ticksOf, timeOf } from './ids.ts'

interface ConversationRow extends Record<string, unknown> {
  id: string
  org_id: string
  user_id: string
  title: string
  model: string | null
  agent: string | null
  system_prompt: string | null
  prompt_ref: string | null
  active_leaf_id: string | null
  bucket_ms: string
  created_at: Date
  last_activity_at: Date
}

interface MessageRow extends Record<string, unknown> {
  id: string
  conversation_id: string
  parent_id: string | null
  role: string
  content: string
  status: string
  model: string | null
  input_tokens: number | null
  output_tokens: number | null
  finish_reason: string | null
  error_code: string | null
  run_id: string | null
}

const CONVERSATION_COLUMNS =
  'id, org_id, user_id, title, model, agent, system_prompt, prompt_ref, active_leaf_id, bucket_ms, created_at, last_activity_at'
const MESSAGE_COLUMNS =
  'id, conversation_id, parent_id, role, content, status, model, input_tokens, output_tokens, finish_reason, error_code, run_id'

const toConversation = (row: ConversationRow): Conversation => ({
  id: row.id,
  orgId: row.org_id,
  userId: row.user_id,
  title: row.title,
  model: row.model,
  agent: row.agent,
  systemPrompt: row.system_prompt,
  promptRef: row.prompt_ref,
  activeLeafId: row.active_leaf_id,
  bucketMs: Number(row.bucket_ms),
  createdAt: new Date(row.created_at),
  lastActivityAt: new Date(row.last_activity_at),
})

const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  conversationId: row.conversation_id,
  parentId: row.parent_id,
  role: row.role as MessageRole,
  content: row.content,
  status: row.status as MessageStatus,
  model: row.model,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  finishReason: row.finish_reason,
  errorCode: row.error_code,
  runId: row.run_id,
  createdAt: new Date(timeOf(row.id)),
})

/** Columns a patch may set, by field; only the fields present are written. */
const conversationColumns: Record<keyof ConversationPatch, string> = {
  title: 'title',
  model: 'model',
  systemPrompt: 'system_prompt',
  promptRef: 'prompt_ref',
  activeLeafId: 'active_leaf_id',
  lastActivityAt: 'last_activity_at',
}
const messageColumns: Record<keyof MessagePatch, string> = {
  content: 'content',
  status: 'status',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  finishReason: 'finish_reason',
  errorCode: 'error_code',
}

function assignments<P extends object>(
  patch: P,
  columns: Record<keyof P, string>,
  firstParam: number,
): { sql: string; values: unknown[] } {
  const sets: string[] = []
  const values: unknown[] = []
  for (const [field, column] of Object.entries(columns) as [keyof P, string][]) {
    if (patch[field] === undefined) continue
    values.push(patch[field])
    sets.push(`${column} = $${firstParam + values.length - 1}`)
  }
  return { sql: sets.join(', '), values }
}

/** ChatStore on PostgreSQL (or PGlite behind the runtime's socket), through the SQL port. */
export function createPostgresChatStore(sql: SqlPool): ChatStore {
  const owned = 'id = $1 AND org_id = $2 AND user_id = $3'
  const store: ChatStore = {
    async createConversation(c) {
      const { rows } = await sql.query<ConversationRow>(
        `INSERT INTO chat_conversations (${CONVERSATION_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11) RETURNING ${CONVERSATION_COLUMNS}`,
        [
          c.id,
          c.orgId,
          c.userId,
          c.title,
          c.model,
          c.agent,
          c.systemPrompt,
          c.promptRef,
          c.bucketMs,
          c.createdAt,
          c.lastActivityAt,
        ],
      )
      return toConversation(rows[0] as ConversationRow)
    },

    async getConversation(owner, id) {
      if (!isUuid(id)) return null
      const { rows } = await sql.query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM chat_conversations WHERE ${owned}`,
        [id, owner.orgId, owner.userId],
      )
      return rows[0] ? toConversation(rows[0]) : null
    },

    async listConversations(owner, { limit, after }) {
      const values: unknown[] = [owner.orgId, owner.userId, limit + 1]
      let where = 'org_id = $1 AND user_id = $2'
      if (after) {
        values.push(after.lastActivityAt, after.id)
        where += ' AND (last_activity_at, id) < ($4, $5::uuid)'
      }
      const { rows } = await sql.query<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM chat_conversations WHERE ${where}
         ORDER BY last_activity_at DESC, id DESC LIMIT $3`,
        values,
      )
      return { items: rows.slice(0, limit).map(toConversation), more: rows.length > limit }
    },

    async updateConversation(owner, id, patch) {
      if (!isUuid(id)) return null
      const set = assignments(patch, conversationColumns, 4)
      if (set.values.length === 0) return store.getConversation(owner, id)
      const { rows } = await sql.query<ConversationRow>(
        `UPDATE chat_conversations SET ${set.sql} WHERE ${owned} RETURNING ${CONVERSATION_COLUMNS}`,
        [id, owner.orgId, owner.userId, ...set.values],
      )
      return rows[0] ? toConversation(rows[0]) : null
    },

    async deleteConversation(owner, id) {
      if (!isUuid(id)) return false
      // Its messages go with it (ON DELETE CASCADE).
      const { rowCount } = await sql.query(`DELETE FROM chat_conversations WHERE ${owned}`, [
        id,
        owner.orgId,
        owner.userId,
      ])
      return (rowCount ?? 0) > 0
    },

    async addMessage(m) {
      const { rows } = await sql.query<MessageRow>(
        `INSERT INTO chat_messages (${MESSAGE_COLUMNS}, ts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${MESSAGE_COLUMNS}`,
        [
          m.id,
          m.conversationId,
          m.parentId,
          m.role,
          m.content,
          m.status,
          m.model,
          m.inputTokens,
          m.outputTokens,
          m.finishReason,
          m.errorCode,
          m.runId,
          ticksOf(m.id).toString(),
        ],
      )
      return toMessage(rows[0] as MessageRow)
    },

    async updateMessage(conversationId, id, patch) {
      const set = assignments(patch, messageColumns, 3)
      if (set.values.length === 0) return
      await sql.query(`UPDATE chat_messages SET ${set.sql} WHERE conversation_id = $1 AND id = $2`, [
        conversationId,
        id,
        ...set.values,
      ])
    },

    async getMessage(conversationId, id) {
      if (!isTimeId(id)) return null
      const { rows } = await sql.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE conversation_id = $1 AND id = $2`,
        [conversationId, id],
      )
      return rows[0] ? toMessage(rows[0]) : null
    },

    async listMessages(conversationId, { limit, before }) {
      const values: unknown[] = [conversationId, limit + 1]
      let where = 'conversation_id = $1'
      if (before !== undefined) {
        values.push(ticksOf(before).toString(), before)
        where += ' AND (ts, id) < ($3::bigint, $4::uuid)'
      }
      const { rows } = await sql.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE ${where} ORDER BY ts DESC, id DESC LIMIT $2`,
        values,
      )
      return { items: rows.slice(0, limit).map(toMessage), more: rows.length > limit }
    },

    async ping() {
      return sql.query('SELECT 1').then(
        () => true,
        () => false,
      )
    },
  }
  return store
}
