import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { callerOf } from '../access.ts'
import { transaction } from '../db.ts'
import type { RagDeps } from '../deps.ts'
import { ragErrors } from '../errors.ts'
import { listOf } from '../pagination.ts'
import { resolveChunking } from '../vector-stores/chunking.ts'
import { lockStore, requireStore } from '../vector-stores/require.ts'
import { VectorStoreParams } from '../vector-stores/schemas.ts'
import { toVectorStoreFileView, vectorStoreFilesRepository } from './repository.ts'
import {
  AttributesChange,
  FileToAttach,
  VectorStoreFileDeleted,
  VectorStoreFileList,
  VectorStoreFileListQuery,
  VectorStoreFileParams,
  VectorStoreFileView,
} from './schemas.ts'

const notAttached = (storeId: string, fileId: string) =>
  Object.assign(new ragErrors.VectorStoreFileNotFound(fileId, storeId), { param: 'file_id' })

export function vectorStoreFileRoutes(app: KitServer, deps: RagDeps): void {
  const { pool, relay } = deps

  app.post(
    '/v1/vector_stores/:vector_store_id/files',
    {
      config: { scopes: [scopes.filesWrite, scopes.llmUse] },
      schema: {
        summary: 'Attach a file: answers at once, in_progress; ingestion runs in the background',
        params: VectorStoreParams,
        body: FileToAttach,
        response: { 200: VectorStoreFileView },
      },
    },
    async (request) => {
      const caller = callerOf(request.identity)
      const storeId = request.params.vector_store_id
      const { file_id: fileId, attributes, chunking_strategy } = request.body
      const row = await transaction(pool, async (tx) => {
        const store = await lockStore(tx, caller, storeId, 'share')
        const chunking = resolveChunking(chunking_strategy, store.chunking_strategy, 'chunking_strategy')
        await vectorStoreFilesRepository.attach(
          tx,
          caller,
          storeId,
          [{ fileId, attributes, chunking }],
          null,
          'file_id',
        )
        return vectorStoreFilesRepository.find(tx, storeId, fileId)
      })
      await relay.flush()
      if (row === null) throw notAttached(storeId, fileId)
      return toVectorStoreFileView(row)
    },
  )

  app.get(
    '/v1/vector_stores/:vector_store_id/files',
    {
      config: { scopes: [scopes.filesRead] },
      schema: {
        summary: "A vector store's files, in the order they were attached",
        params: VectorStoreParams,
        querystring: VectorStoreFileListQuery,
        response: { 200: VectorStoreFileList },
      },
    },
    async (request) => {
      const store = await requireStore(pool, callerOf(request.identity), request.params.vector_store_id)
      const page = await vectorStoreFilesRepository.list(pool, { storeId: store.id }, request.query)
      return listOf(page.rows.map(toVectorStoreFileView), page.hasMore)
    },
  )

  app.get(
    '/v1/vector_stores/:vector_store_id/files/:file_id',
    {
      config: { scopes: [scopes.filesRead] },
      schema: {
        summary: 'One file of a vector store, with its status and progress',
        params: VectorStoreFileParams,
        response: { 200: VectorStoreFileView },
      },
    },
    async (request) => {
      const { vector_store_id: storeId, file_id: fileId } = request.params
      await requireStore(pool, callerOf(request.identity), storeId)
      const row = await vectorStoreFilesRepository.find(pool, storeId, fileId)
      if (row === null) throw notAttached(storeId, fileId)
      return toVectorStoreFileView(row)
    },
  )

  app.post(
    '/v1/vector_stores/:vector_store_id/files/:file_id',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: "Replace a vector store file's attributes",
        params: VectorStoreFileParams,
        body: AttributesChange,
        response: { 200: VectorStoreFileView },
      },
    },
    async (request) => {
      const { vector_store_id: storeId, file_id: fileId } = request.params
      await requireStore(pool, callerOf(request.identity), storeId)
      const row = await vectorStoreFilesRepository.setAttributes(
        pool,
        storeId,
        fileId,
        request.body.attributes ?? {},
      )
      if (row === null) throw notAttached(storeId, fileId)
      return toVectorStoreFileView(row)
    },
  )

  app.delete(
    '/v1/vector_stores/:vector_store_id/files/:file_id',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: 'Detach a file: its chunks go, the file stays',
        params: VectorStoreFileParams,
        response: { 200: VectorStoreFileDeleted },
      },
    },
    async (request) => {
      const { vector_store_id: storeId, file_id: fileId } = request.params
      await requireStore(pool, callerOf(request.identity), storeId)
      if (!(await vectorStoreFilesRepository.delete(pool, storeId, fileId)))
        throw notAttached(storeId, fileId)
      return { id: fileId, object: 'vector_store.file.deleted' as const, deleted: true }
    },
  )
}
