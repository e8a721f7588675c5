import { defineService } from '@switchyard/kit'
import { RagWorkerConfig } from './config.ts'
import { ragWorkerPlugin } from './plugin.ts'

/**
 * Rag's ingestion worker: `--target=rag-worker` on its own, and beside rag in one process. It
 * shares rag's database and migrations (`switchyard migrate --target=rag` applies them).
 */
export const ragWorkerService = defineService({
  name: 'rag-worker',
  configSchema: RagWorkerConfig,
  // llm-router: embeddings, billed to the requester through a worker token.
  calls: ['llm-router'],
  // sql: files, attachments, chunks; bus: rag.ingest.v1 in, rag.documents.v1 out; objects: originals.
  needs: ['sql', 'bus', 'objects'],
  signsWorkerTokens: true,
  plugin: ragWorkerPlugin,
})
