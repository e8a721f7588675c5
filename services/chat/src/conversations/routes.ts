import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import type { ChatDeps } from '../deps.ts'
import {
  ConversationChanges,
  ConversationList,
  ConversationParams,
  ConversationView,
  ListQuery,
  NewConversation,
  toConversationView,
} from './schemas.ts'
import {
  createConversation,
  deleteConversation,
  listConversations,
  requireConversation,
  updateConversation,
} from './service.ts'

export function conversationRoutes(app: KitServer, deps: ChatDeps): void {
  app.post(
    '/v1/conversations',
    {
      config: { scopes: [scopes.chatWrite, scopes.llmUse] },
      schema: {
        summary: 'Start a conversation',
        body: NewConversation,
        response: { 201: ConversationView },
      },
    },
    async (request, reply) => {
      const caller = { identity: request.identity, token: request.internalToken }
      const conversation = await createConversation(deps, caller, request.body)
      return reply.code(201).send(toConversationView(conversation))
    },
  )

  app.get(
    '/v1/conversations',
    {
      config: { scopes: [scopes.chatRead] },
      schema: {
        summary: 'Your conversations, most recently active first',
        querystring: ListQuery,
        response: { 200: ConversationList },
      },
    },
    async (request) => {
      const page = await listConversations(deps, request.identity, request.query)
      return {
        object: 'list' as const,
        data: page.items.map(toConversationView),
        nextCursor: page.nextCursor,
      }
    },
  )

  app.get(
    '/v1/conversations/:conversationId',
    {
      config: { scopes: [scopes.chatRead] },
      schema: {
        summary: 'One conversation',
        params: ConversationParams,
        response: { 200: ConversationView },
      },
    },
    async (request) =>
      toConversationView(await requireConversation(deps, request.identity, request.params.conversationId)),
  )

  app.patch(
    '/v1/conversations/:conversationId',
    {
      config: { scopes: [scopes.chatWrite, scopes.llmUse] },
      schema: {
        summary: 'Rename, change model or system prompt, or switch branch',
        params: ConversationParams,
        body: ConversationChanges,
        response: { 200: ConversationView },
      },
    },
    async (request) => {
      const caller = { identity: request.identity, token: request.internalToken }
      return toConversationView(
        await updateConversation(deps, caller, request.params.conversationId, request.body),
      )
    },
  )

  app.delete(
    '/v1/conversations/:conversationId',
    {
      config: { scopes: [scopes.chatWrite] },
      schema: { summary: 'Delete a conversation and its messages', params: ConversationParams },
    },
    async (request, reply) => {
      await deleteConversation(deps, request.identity, request.params.conversationId)
      return reply.code(204).send()
    },
  )
}
