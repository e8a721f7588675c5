import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { callerOf } from '../access.ts'
import { transaction } from '../db.ts'
import type { RagDeps } from '../deps.ts'
import { ragErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { listOf } from '../pagination.ts'
import { vectorStoreFilesRepository } from '../vector-store-files/repository.ts'
import { autoChunking, resolveChunking } from './chunking.ts'
import { accessList, toVectorStoreView, vectorStoresRepository } from './repository.ts'
import { lockStore, requireStore, vectorStoreNotFound } from './require.ts'
import {
  NewVectorStore,
  VectorStoreChanges,
  VectorStoreDeleted,
  VectorStoreList,
  VectorStoreListQuery,
  VectorStoreParams,
  VectorStoreView,
} from './schemas.ts'

export function vectorStoreRoutes(app: KitServer, deps: RagDeps): void {
  const { pool, relay, config } = deps

  app.post(
    '/v1/vector_stores',
    {
      config: { scopes: [scopes.filesWrite, scopes.llmUse] },
      schema: { summary: 'Create a vector store', body: NewVectorStore, response: { 200: VectorStoreView } },
    },
    async (request) => {
      const caller = callerOf(request.identity)
      const body = request.body
      const id = newId('vectorStore')
      const chunking = resolveChunking(body.chunking_strategy, autoChunking, 'chunking_strategy')
      await transaction(pool, async (tx) => {
        await vectorStoresRepository.insert(tx, caller, {
          id,
          name: body.name ?? null,
          metadata: body.metadata ?? {},
          embeddingModel: body.embedding_model ?? config.RAG_DEFAULT_EMBEDDING_MODEL,
          chunking,
          expiresAfter: body.expires_after ?? null,
          accessUserIds: accessList(body.access, caller),
        })
        if (body.file_ids !== undefined) {
          const attachments = body.file_ids.map((fileId) => ({ fileId, attributes: undefined, chunking }))
          await vectorStoreFilesRepository.attach(tx, caller, id, attachments, null, 'file_ids')
        }
      })
      if (body.file_ids !== undefined) await relay.flush()
      return toVectorStoreView(await requireStore(pool, caller, id))
    },
  )

  app.get(
    '/v1/vector_stores',
    {
      config: { scopes: [scopes.filesRead] },
      schema: {
        summary: 'The vector stores you can use',
        querystring: VectorStoreListQuery,
        response: { 200: VectorStoreList },
      },
    },
    async (request) => {
      const page = await vectorStoresRepository.list(pool, callerOf(request.identity), request.query)
      return listOf(page.rows.map(toVectorStoreView), page.hasMore)
    },
  )

  app.get(
    '/v1/vector_stores/:vector_store_id',
    {
      config: { scopes: [scopes.filesRead] },
      schema: { summary: 'One vector store', params: VectorStoreParams, response: { 200: VectorStoreView } },
    },
    async (request) =>
      toVectorStoreView(await requireStore(pool, callerOf(request.identity), request.params.vector_store_id)),
  )

  app.post(
    '/v1/vector_stores/:vector_store_id',
    {
      config: { scopes: [scopes.filesWrite, scopes.llmUse] },
      schema: {
        summary: 'Modify a vector store (a new chunking_strategy re-chunks its files)',
        params: VectorStoreParams,
        body: VectorStoreChanges,
        response: { 200: VectorStoreView },
      },
    },
    async (request) => {
      const caller = callerOf(request.identity)
      const id = request.params.vector_store_id
      const body = request.body
      const rechunked = await transaction(pool, async (tx) => {
        // Locked so that no file is attached between the check below and the change.
        const store = await lockStore(tx, caller, id, 'update')
        if (
          body.embedding_model !== undefined &&
          body.embedding_model !== store.embedding_model &&
          (await vectorStoresRepository.hasFiles(tx, id))
        ) {
          throw Object.assign(new ragErrors.EmbeddingModelFixed(id), { param: 'embedding_model' })
        }
        const chunking =
          body.chunking_strategy === undefined
            ? undefined
            : resolveChunking(body.chunking_strategy, store.chunking_strategy, 'chunking_strategy')
        await vectorStoresRepository.update(tx, id, {
          ...(body.name !== undefined && { name: body.name }),
          ...(body.metadata !== undefined && { metadata: body.metadata ?? {} }),
          ...(body.embedding_model !== undefined && { embeddingModel: body.embedding_model }),
          ...(chunking !== undefined && { chunking }),
          ...(body.expires_after !== undefined && { expiresAfter: body.expires_after }),
          ...(body.access !== undefined && { accessUserIds: accessList(body.access, caller) }),
        })
        return chunking === undefined ? 0 : vectorStoreFilesRepository.rechunkAll(tx, caller, id, chunking)
      })
      if (rechunked > 0) await relay.flush()
      return toVectorStoreView(await requireStore(pool, caller, id))
    },
  )

  app.delete(
    '/v1/vector_stores/:vector_store_id',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: 'Delete a vector store with its chunks (its files stay)',
        params: VectorStoreParams,
        response: { 200: VectorStoreDeleted },
      },
    },
    async (request) => {
      const id = request.params.vector_store_id
      if (!(await vectorStoresRepository.delete(pool, callerOf(request.identity), id)))
        throw vectorStoreNotFound(id)
      return { id, object: 'vector_store.deleted' as const, deleted: true }
    },
  )
}
