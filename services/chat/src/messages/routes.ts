import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { ConversationParams, ListQuery } from '../conversations/schemas.ts'
import type { ChatDeps } from '../deps.ts'
import {
  EditedMessage,
  MessageList,
  MessageParams,
  MessageView,
  NewMessage,
  ResumeQuery,
  StopResult,
  StreamQuery,
  toMessageView,
} from './schemas.ts'
import {
  editMessage,
  listMessages,
  regenerateMessage,
  requireMessage,
  resumePoint,
  sendMessage,
  stopMessage,
} from './service.ts'
import { streamMessage } from './stream.ts'

const sse = {
  200: {
    description:
      'Server-sent events: message.start, message.delta, usage, done, error; for an agent also run.start, route, tool.call, tool.result, approval.required',
  },
}

export function messageRoutes(app: KitServer, deps: ChatDeps): void {
  app.get(
    '/v1/conversations/:conversationId/messages',
    {
      config: { scopes: [scopes.chatRead] },
      schema: {
        summary: 'Messages of every branch, newest first',
        params: ConversationParams,
        querystring: ListQuery,
        response: { 200: MessageList },
      },
    },
    async (request) => {
      const page = await listMessages(deps, request.identity, request.params.conversationId, request.query)
      return { object: 'list' as const, data: page.items.map(toMessageView), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/conversations/:conversationId/messages',
    {
      config: { scopes: [scopes.chatWrite, scopes.llmUse] },
      schema: {
        summary: 'Send a message; the answer streams back (SSE)',
        params: ConversationParams,
        querystring: StreamQuery,
        body: NewMessage,
        response: sse,
      },
    },
    async (request, reply) => {
      const caller = { identity: request.identity, token: request.internalToken }
      const answer = await sendMessage(deps, caller, request.params.conversationId, request.body)
      return streamMessage(request, reply, deps, answer, 0, request.query.format)
    },
  )

  app.get(
    '/v1/conversations/:conversationId/messages/:messageId',
    {
      config: { scopes: [scopes.chatRead] },
      schema: { summary: 'One message', params: MessageParams, response: { 200: MessageView } },
    },
    async (request) => {
      const { conversationId, messageId } = request.params
      return toMessageView((await requireMessage(deps, request.identity, conversationId, messageId)).message)
    },
  )

  app.get(
    '/v1/conversations/:conversationId/messages/:messageId/stream',
    {
      config: { scopes: [scopes.chatRead] },
      schema: {
        summary: "An answer's events (SSE): all of them, or those after the Last-Event-ID header",
        params: MessageParams,
        querystring: ResumeQuery,
        response: sse,
      },
    },
    async (request, reply) => {
      const { conversationId, messageId } = request.params
      const { message } = await requireMessage(deps, request.identity, conversationId, messageId)
      const header = request.headers['last-event-id']
      const lastEventId = request.query.lastEventId ?? (Array.isArray(header) ? header[0] : header)
      const afterSeq = await resumePoint(deps, message, lastEventId)
      return streamMessage(request, reply, deps, message, afterSeq, request.query.format)
    },
  )

  app.post(
    '/v1/conversations/:conversationId/messages/:messageId/regenerate',
    {
      config: { scopes: [scopes.chatWrite, scopes.llmUse] },
      schema: {
        summary: 'A new answer to the same question, as a sibling branch (SSE)',
        params: MessageParams,
        querystring: StreamQuery,
        response: sse,
      },
    },
    async (request, reply) => {
      const caller = { identity: request.identity, token: request.internalToken }
      const { conversationId, messageId } = request.params
      const answer = await regenerateMessage(deps, caller, conversationId, messageId)
      return streamMessage(request, reply, deps, answer, 0, request.query.format)
    },
  )

  app.post(
    '/v1/conversations/:conversationId/messages/:messageId/edit',
    {
      config: { scopes: [scopes.chatWrite, scopes.llmUse] },
      schema: {
        summary: 'Edit a user message: a sibling with the new text, and its answer (SSE)',
        params: MessageParams,
        querystring: StreamQuery,
        body: EditedMessage,
        response: sse,
      },
    },
    async (request, reply) => {
      const caller = { identity: request.identity, token: request.internalToken }
      const { conversationId, messageId } = request.params
      const answer = await editMessage(deps, caller, conversationId, messageId, request.body.content)
      return streamMessage(request, reply, deps, answer, 0, request.query.format)
    },
  )

  app.post(
    '/v1/conversations/:conversationId/messages/:messageId/stop',
    {
      config: { scopes: [scopes.chatWrite] },
      schema: {
        summary: 'Stop an answer being generated; the text so far is kept',
        params: MessageParams,
        response: { 200: StopResult },
      },
    },
    async (request) => {
      const { conversationId, messageId } = request.params
      const caller = { identity: request.identity, token: request.internalToken }
      return { message: toMessageView(await stopMessage(deps, caller, conversationId, messageId)) }
    },
  )
}
