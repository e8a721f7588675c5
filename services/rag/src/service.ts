import { fileURLToPath } from 'node:url'
import { defineService } from '@switchyard/kit'
import { RagConfig } from './config.ts'
import { ragPlugin } from './plugin.ts'

export const ragService = defineService({
  name: 'rag',
  configSchema: RagConfig,
  // llm-router: embeddings (ingestion, search) and answers, with the caller's identity.
  calls: ['llm-router'],
  // sql: files, vector stores, chunks (pgvector); bus: rag.ingest.v1 out and in (the worker),
  // rag.documents.v1 out.
  needs: ['sql', 'bus', 'objects'],
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  plugin: ragPlugin,
})
