import type { ServicePlugin } from '@switchyard/kit'
import type { RagConfig } from './config.ts'
import { asTransactional } from './db.ts'
import type { RagDeps } from './deps.ts'

/**
 * Rag: files, vector stores and their ingestion, search and cited answers. The database is
 * migrated by the runtime before this runs.
 */
export const ragPlugin: ServicePlugin<RagConfig> = async (_app, ctx) => {
  const { config, logger, bus } = ctx
  const deps: RagDeps = { config, pool: asTransactional(ctx.sql), bus, logger }
  void deps
}
