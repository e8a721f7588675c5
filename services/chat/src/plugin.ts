import {
  type AgentClient,
  createAdminClient,
  createAgentClient,
  createLlmRouterClient,
} from '@switchyard/contracts'
import type { ServicePlugin } from '@switchyard/kit'
import OpenAI from 'openai'
import { AgentRuns } from './agents/agent-runs.ts'
import type { ChatConfig } from './config.ts'
import { conversationRoutes } from './conversations/routes.ts'
import type { ChatDeps } from './deps.ts'
import { History } from './generation/context.ts'
import { Generations } from './generation/generations.ts'
import { messageRoutes } from './messages/routes.ts'
import { ModelCatalog } from './models/models.ts'
import { PromptResolver } from './prompts/resolve.ts'
import { createCassandraChatStore, ensureCassandraSchema } from './store/cassandra.ts'
import { canReachQuorum, localDataCenterOf, quorumReport, requireQuorum } from './store/cassandra-quorum.ts'
import type { ChatStore } from './store/chat-store.ts'
import { createPostgresChatStore } from './store/postgres.ts'

export interface ChatPluginOptions {
  /** agent's client (default: over the runtime's dispatcher; tests may pass a scripted one). */
  agent?: AgentClient
}

/**
 * Chat: conversations, messages, and answers streamed from the llm-router or relayed from an
 * agent's runs. The store is the one the runtime's shape provides: Cassandra when chat runs on its
 * own (its tables are created here when missing), PostgreSQL (migrations/) in one process.
 */
export function createChatPlugin(options: ChatPluginOptions = {}): ServicePlugin<ChatConfig> {
  return async (app, ctx) => {
    const { config, logger, state, bus } = ctx
    let store: ChatStore
    if (ctx.cassandra) {
      const client = ctx.cassandra
      const quorum = {
        keyspace: config.CHAT_CASSANDRA_KEYSPACE,
        dataCenter: localDataCenterOf(client),
        replicationFactor: config.CHAT_CASSANDRA_REPLICATION_FACTOR,
      }
      // Before anything is created: a keyspace whose writes cannot reach quorum refuses the start.
      await requireQuorum(client, quorum)
      await ensureCassandraSchema(client, { ...quorum, localDataCenter: quorum.dataCenter })
      store = createCassandraChatStore({ client, keyspace: config.CHAT_CASSANDRA_KEYSPACE })
      ctx.addReadinessCheck?.('cassandra-quorum', () => quorumReport(client, quorum).then(canReachQuorum))
    } else if (ctx.sql) {
      store = createPostgresChatStore(ctx.sql)
    } else {
      throw new Error('chat needs a store: the runtime gave it neither Cassandra nor SQL')
    }

    const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
    const admin = createAdminClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('admin') })
    const agents = new AgentRuns({
      client:
        options.agent ?? createAgentClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('agent') }),
      logger,
      timeoutMs: config.CHAT_AGENT_TIMEOUT_MS,
    })
    const history = new History({
      store,
      state,
      logger,
      ttlMs: config.CHAT_CONTEXT_CACHE_TTL_MS,
      maxTurns: config.CHAT_CONTEXT_CACHE_MESSAGES,
    })
    const generations = new Generations({
      config,
      store,
      state,
      bus,
      logger,
      history,
      // A client per answer, carrying the caller's token: the router accounts the usage to them.
      // Its timeout bounds the wait for the router's response; the answer then streams on.
      llm: (apiKey) =>
        new OpenAI({
          apiKey,
          baseURL: router.baseURL,
          fetch: router.fetch,
          maxRetries: 0,
          timeout: config.CHAT_ROUTER_TIMEOUT_MS,
        }),
      agents,
    })
    const deps: ChatDeps = {
      config,
      store,
      state,
      bus,
      logger,
      history,
      generations,
      agents,
      models: new ModelCatalog({ config, state, router, logger }),
      prompts: new PromptResolver({
        state,
        admin,
        logger,
        cacheTtlMs: config.CHAT_LOOKUP_CACHE_TTL_MS,
        timeoutMs: config.CHAT_ADMIN_TIMEOUT_MS,
      }),
    }
    conversationRoutes(app, deps)
    messageRoutes(app, deps)
    // After the kit drained the open streams (preClose): what still runs is cut off and stored.
    app.addHook('onClose', () => generations.close())
  }
}

export const chatPlugin = createChatPlugin()
