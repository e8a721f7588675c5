import { scopes } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import type { RagDeps } from '../deps.ts'
import { ragErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { fileObjectKey } from '../objects.ts'
import { listOf } from '../pagination.ts'
import { filesRepository, toFileView } from './repository.ts'
import { FileDeleted, FileList, FileListQuery, FileParams, FileView } from './schemas.ts'
import { type StoredUpload, storeUpload } from './upload.ts'

/** The purposes this server keeps files for: what vector stores read. */
const purposes = new Set(['assistants'])

export function fileRoutes(app: KitServer, deps: RagDeps): void {
  const { pool, objects, config, logger } = deps

  app.post(
    '/v1/files',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: 'Upload a file (multipart: `file` and `purpose`)',
        consumes: ['multipart/form-data'],
        response: { 200: FileView },
      },
    },
    async (request) => {
      if (!request.isMultipart()) {
        throw Object.assign(
          new ragErrors.FileRequired('Send multipart/form-data with a `file` part and a `purpose` field'),
          { param: 'file' },
        )
      }
      const orgId = request.identity.orgId
      const id = newId('file')
      const key = fileObjectKey(orgId, id)
      let stored: StoredUpload | undefined
      let purpose: string | undefined
      // Whatever was stored goes again unless the row that points at it is written.
      const discard = () =>
        stored === undefined
          ? Promise.resolve()
          : objects
              .delete(key)
              .catch((error: unknown) => logger.warn({ err: error, key }, 'a discarded upload stayed'))
      try {
        // The openai client sends `file` before `purpose`: the file is stored first, checked after.
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || stored !== undefined) {
              part.file.resume()
              continue
            }
            stored = await storeUpload(objects, key, part)
            if (stored.truncated) throw new ragErrors.FileTooLarge(config.RAG_MAX_UPLOAD_BYTES)
          } else if (part.fieldname === 'purpose') {
            purpose = String(part.value)
          }
        }
      } catch (error) {
        await discard()
        if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new ragErrors.FileTooLarge(config.RAG_MAX_UPLOAD_BYTES)
        }
        throw error
      }
      if (stored === undefined) {
        throw Object.assign(new ragErrors.FileRequired('The request has no `file` part'), { param: 'file' })
      }
      if (purpose === undefined || !purposes.has(purpose)) {
        await discard()
        throw Object.assign(new ragErrors.UnsupportedPurpose(JSON.stringify(purpose ?? null)), {
          param: 'purpose',
        })
      }
      try {
        const row = await filesRepository.insert(pool, {
          id,
          org_id: orgId,
          created_by: request.identity.userId,
          filename: stored.filename,
          purpose,
          bytes: stored.bytes,
          content_type: stored.contentType,
          sha256: stored.sha256,
          object_key: key,
        })
        return toFileView(row)
      } catch (error) {
        await discard()
        throw error
      }
    },
  )

  app.get(
    '/v1/files',
    {
      config: { scopes: [scopes.filesRead] },
      schema: { summary: "The org's files", querystring: FileListQuery, response: { 200: FileList } },
    },
    async (request) => {
      const page = await filesRepository.list(pool, request.identity.orgId, request.query)
      return listOf(page.rows.map(toFileView), page.hasMore)
    },
  )

  app.get(
    '/v1/files/:file_id',
    {
      config: { scopes: [scopes.filesRead] },
      schema: { summary: 'One file', params: FileParams, response: { 200: FileView } },
    },
    async (request) => toFileView(await requireFile(deps, request.identity.orgId, request.params.file_id)),
  )

  app.get(
    '/v1/files/:file_id/content',
    {
      config: { scopes: [scopes.filesRead] },
      schema: { summary: "The file's original bytes", params: FileParams },
    },
    async (request, reply) => {
      const file = await requireFile(deps, request.identity.orgId, request.params.file_id)
      const body = await objects.get(file.object_key)
      return reply.type(file.content_type).header('content-length', String(file.bytes)).send(body)
    },
  )

  app.delete(
    '/v1/files/:file_id',
    {
      config: { scopes: [scopes.filesWrite] },
      schema: {
        summary: 'Delete a file, its chunks in every vector store, and its original',
        params: FileParams,
        response: { 200: FileDeleted },
      },
    },
    async (request) => {
      const { file_id: fileId } = request.params
      // The row first (its attachments and chunks go with it): nobody is then shown a file whose
      // original is gone. An original left behind by a failed delete is only logged.
      const row = await filesRepository.delete(pool, request.identity.orgId, fileId)
      if (row === null) throw fileNotFound(fileId)
      await objects
        .delete(row.object_key)
        .catch((error: unknown) =>
          logger.warn({ err: error, key: row.object_key }, 'the original of a deleted file stayed'),
        )
      return { id: fileId, object: 'file' as const, deleted: true }
    },
  )
}

const fileNotFound = (id: string) => Object.assign(new ragErrors.FileNotFound(id), { param: 'file_id' })

async function requireFile(deps: RagDeps, orgId: string, id: string) {
  const row = await filesRepository.find(deps.pool, orgId, id)
  if (row === null) throw fileNotFound(id)
  return row
}
