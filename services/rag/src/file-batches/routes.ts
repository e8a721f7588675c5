import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { callerOf } from '../access.ts'
import { transaction } from '../db.ts'
import type { RagDeps } from '../deps.ts'
import { ragErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { listOf } from '../pagination.ts'
import {
  type Attachment,
  toVectorStoreFileView,
  vectorStoreFilesRepository,
} from '../vector-store-files/repository.ts'
import { VectorStoreFileList, VectorStoreFileListQuery } from '../vector-store-files/schemas.ts'
import { resolveChunking } from '../vector-stores/chunking.ts'
import { lockStore, requireStore } from '../vector-stores/require.ts'
import { VectorStoreParams } from '../vector-stores/schemas.ts'
import { fileBatchesRepository, toFileBatchView } from './repository.ts'
import { FileBatchParams, FileBatchView, NewFileBatch } from './schemas.ts'

const batchNotFound = (storeId: string, batchId: string) =>
  Object.assign(new ragErrors.FileBatchNotFound(batchId, storeId), { param: 'batch_id' })

export function fileBatchRoutes(app: KitServer, deps: RagDeps): void {
  const { pool, relay } = deps

  /** The batch as the caller may see it, or a 404 (its store is not theirs, or it is not the store's). */
  const requireBatch = async (identity: Parameters<typeof callerOf>[0], storeId: string, batchId: string) => {
    await requireStore(pool, callerOf(identity), storeId)
    const batch = await fileBatchesRepository.find(pool, storeId, batchId)
    if (batch === null) throw batchNotFound(storeId, batchId)
    return batch
  }

  app.post(
    '/v1/vector_stores/:vector_store_id/file_batches',
    {
      config: { scopes: [scopes.filesWrite, scopes.llmUse] },
      schema: {
        summary: 'Attach several files at once: answers in_progress; ingestion runs in the background',
        params: VectorStoreParams,
        body: NewFileBatch,
        response: { 200: FileBatchView },
      },
    },
    async (request) => {
      const caller = callerOf(request.identity)
      const storeId = request.params.vector_store_id
      const body = request.body
      if ((body.file_ids === undefined) === (body.files === undefined)) {
        throw Object.assign(new ragErrors.InvalidRequest('Give either file_ids or files, not both'), {
          param: 'file_ids',
        })
      }
      const id = newId('fileBatch')
      await transaction(pool, async (tx) => {
        const store = await lockStore(tx, caller, storeId, 'share')
        const shared = resolveChunking(body.chunking_strategy, store.chunking_strategy, 'chunking_strategy')
        const attachments: Attachment[] =
          body.files?.map((file, i) => ({
            fileId: file.file_id,
            attributes: file.attributes !== undefined ? file.attributes : body.attributes,
            chunking: resolveChunking(file.chunking_strategy, shared, `files[${i}].chunking_strategy`),
          })) ??
          (body.file_ids ?? []).map((fileId) => ({ fileId, attributes: body.attributes, chunking: shared }))
        await fileBatchesRepository.insert(tx, caller, storeId, id)
        await vectorStoreFilesRepository.attach(
          tx,
          caller,
          storeId,
          attachments,
          id,
          body.files ? 'files' : 'file_ids',
        )
      })
      await relay.flush()
      const batch = await fileBatchesRepository.find(pool, storeId, id)
      if (batch === null) throw batchNotFound(storeId, id)
      return toFileBatchView(batch)
    },
  )

  app.get(
    '/v1/vector_stores/:vector_store_id/file_batches/:batch_id',
    {
      config: { scopes: [scopes.filesRead] },
      schema: { summary: 'One file batch', params: FileBatchParams, response: { 200: FileBatchView } },
    },
    async (request) =>
      toFileBatchView(
        await requireBatch(request.identity, request.params.vector_store_id, request.params.batch_id),
      ),
  )

  app.post(
    '/v1/vector_stores/:vector_store_id/file_batches/:batch_id/cancel',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: 'Cancel a batch: its files still in progress stop and become cancelled',
        params: FileBatchParams,
        response: { 200: FileBatchView },
      },
    },
    async (request) => {
      const { vector_store_id: storeId, batch_id: batchId } = request.params
      await requireStore(pool, callerOf(request.identity), storeId)
      const cancelled = await transaction(pool, (tx) => fileBatchesRepository.cancel(tx, storeId, batchId))
      if (!cancelled) throw batchNotFound(storeId, batchId)
      return toFileBatchView(await requireBatch(request.identity, storeId, batchId))
    },
  )

  app.get(
    '/v1/vector_stores/:vector_store_id/file_batches/:batch_id/files',
    {
      config: { scopes: [scopes.filesRead] },
      schema: {
        summary: "A batch's files",
        params: FileBatchParams,
        querystring: VectorStoreFileListQuery,
        response: { 200: VectorStoreFileList },
      },
    },
    async (request) => {
      const { vector_store_id: storeId, batch_id: batchId } = request.params
      await requireBatch(request.identity, storeId, batchId)
      const page = await vectorStoreFilesRepository.list(pool, { storeId, batchId }, request.query)
      return listOf(page.rows.map(toVectorStoreFileView), page.hasMore)
    },
  )
}
