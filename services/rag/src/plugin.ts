import multipart from '@fastify/multipart'
import type { ServicePlugin } from '@switchyard/kit'
import type { RagConfig } from './config.ts'
import { asTransactional } from './db.ts'
import type { RagDeps } from './deps.ts'
import { ragErrors } from './errors.ts'
import { fileRoutes } from './files/routes.ts'

/**
 * Rag: files, vector stores and their ingestion, search and cited answers. Order: the database
 * (migrated by the runtime before this runs), then the routes.
 */
export const ragPlugin: ServicePlugin<RagConfig> = async (app, ctx) => {
  const { config, logger, bus } = ctx
  if (ctx.objects === undefined) throw new ragErrors.NoObjectStore()
  const pool = asTransactional(ctx.sql)
  const deps: RagDeps = { config, pool, bus, logger, objects: ctx.objects }

  // Uploads stream through; the cap is the file part's (busboy cuts it and marks it truncated).
  await app.register(multipart, {
    limits: { fileSize: config.RAG_MAX_UPLOAD_BYTES, fields: 8, parts: 16 },
  })
  fileRoutes(app, deps)
}
