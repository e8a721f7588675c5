import { scopes } from '@switchyard/contracts'
import { type KitServer, openEventStream } from '@switchyard/kit'
import { SearchParams } from '../schemas.ts'
import { findSearchableStore } from '../service.ts'
import { Answer, AnswerRequest } from './schemas.ts'
import { type AnswerDeps, answerQuestion, answerWhole } from './service.ts'

/**
 * `POST /v1/vector_stores/{id}/answer` (Switchyard's extension): a cited answer from the store,
 * streamed as server-sent events (`retrieval`, `delta`, `citation`, `usage`, `done`) or whole.
 */
export function answerRoutes(app: KitServer, deps: AnswerDeps, notFound: (id: string) => Error): void {
  app.post(
    '/v1/vector_stores/:vector_store_id/answer',
    {
      config: { scopes: [scopes.filesRead, scopes.llmUse] },
      schema: {
        summary:
          'Answer a question from a vector store, with checked citations (SSE, or JSON with stream: false)',
        params: SearchParams,
        body: AnswerRequest,
        response: { 200: Answer },
      },
    },
    async (request, reply) => {
      const store = await findSearchableStore(deps.sql, request.identity, request.params.vector_store_id)
      if (store === null) throw notFound(request.params.vector_store_id)
      const caller = { identity: request.identity, token: request.internalToken }
      const abort = new AbortController()
      if (request.body.stream === false) return answerWhole(deps, caller, store, request.body, abort.signal)
      // Retrieval happens before the stream opens: a bad store or filter is still a plain error.
      const events = answerQuestion(deps, caller, store, request.body, abort.signal)
      const first = await events.next()
      const stream = openEventStream(request, reply)
      stream.signal.addEventListener('abort', () => abort.abort())
      try {
        if (!first.done) stream.send(first.value)
        for await (const event of events) stream.send(event)
        stream.send({ event: 'done', data: {} })
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        if (!abort.signal.aborted)
          stream.send({ event: 'error', data: { error: { message, type: 'server_error' } } })
      } finally {
        stream.close()
      }
      return reply
    },
  )
}
