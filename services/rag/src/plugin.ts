import multipart from '@fastify/multipart'
import type { ServicePlugin } from '@switchyard/kit'
import type { RagConfig } from './config.ts'
import { asTransactional } from './db.ts'
import type { RagDeps } from './deps.ts'
import { ragErrors } from './errors.ts'
import { fileBatchRoutes } from './file-batches/routes.ts'
import { fileRoutes } from './files/routes.ts'
import { createIngestRelay } from './ingest-events/outbox.ts'
import { registerSearch } from './search/register.ts'
import { vectorStoreFileRoutes } from './vector-store-files/routes.ts'
import { vectorStoreRoutes } from './vector-stores/routes.ts'

/**
 * Rag: files, vector stores and their ingestion, search and cited answers. Order: the database
 * (migrated by the runtime before this runs), the relay of unpublished rag.ingest.v1 events,
 * then the routes.
 */
export const ragPlugin: ServicePlugin<RagConfig> = async (app, ctx) => {
  const { config, logger, bus } = ctx
  if (ctx.objects === undefined) throw new ragErrors.NoObjectStore()
  const pool = asTransactional(ctx.sql)
  const relay = createIngestRelay({ db: pool, bus, logger, intervalMs: config.RAG_OUTBOX_RELAY_INTERVAL_MS })
  // What a crash or a broker outage left unpublished goes out now, not at the first tick.
  void relay.flush()
  const deps: RagDeps = { config, pool, bus, logger, objects: ctx.objects, relay }

  // Uploads stream through; the cap is the file part's (busboy cuts it and marks it truncated).
  await app.register(multipart, {
    limits: { fileSize: config.RAG_MAX_UPLOAD_BYTES, fields: 8, parts: 16 },
  })
  fileRoutes(app, deps)
  vectorStoreRoutes(app, deps)
  vectorStoreFileRoutes(app, deps)
  fileBatchRoutes(app, deps)
  registerSearch(app, ctx)

  // Stop publishing before the runtime closes the bus and the pool.
  app.addHook('onClose', () => relay.stop())
}
