import { defineService } from '@switchyard/kit'
import { ChatConfig } from './config.ts'
import { chatPlugin } from './plugin.ts'
import { migrationsDir } from './store/migrations-dir.ts'

export const chatService = defineService({
  name: 'chat',
  configSchema: ChatConfig,
  // llm-router: every model's answer; admin: prompt references (name@label); agent: the answers
  // of a conversation with an agent (its runs).
  calls: ['llm-router', 'admin', 'agent'],
  // cassandra: the history (SQL in one process, with these migrations); state: event logs,
  // generation leases and stop flags, caches; bus: chat.messages.v1.
  needs: ['cassandra', 'state', 'bus'],
  // CHAT_STORE=postgres: the history in PostgreSQL (these migrations) when chat runs on its own too.
  needsFor: (config) => [config.CHAT_STORE === 'postgres' ? 'sql' : 'cassandra', 'state', 'bus'],
  migrationsDir,
  plugin: chatPlugin,
})
