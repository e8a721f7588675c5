import { createLlmRouterClient } from '@switchyard/contracts'
import type { ServicePlugin } from '@switchyard/kit'
import { ragErrors } from '../errors.ts'
import { createRouterEmbedder } from '../ingestion/embed.ts'
import { loadTokenCounter } from '../ingestion/tokenizer.ts'
import { startIngestionWorker } from '../ingestion/worker.ts'
import type { RagWorkerConfig } from './config.ts'

/**
 * The ingestion worker as a service: no routes but health and readiness; it consumes rag.ingest.v1
 * and sweeps for unfinished files from registration until the server closes. Embeddings go to the
 * router with a worker token for the requester (`ctx.signer`, the worker key: llm:use only).
 */
export const ragWorkerPlugin: ServicePlugin<RagWorkerConfig> = async (app, ctx) => {
  const { config, signer, sql, objects } = ctx
  if (objects === undefined) throw new ragErrors.NoObjectStore()
  if (sql === undefined) throw new Error('rag-worker needs ctx.sql')
  if (signer === undefined)
    throw new Error('rag-worker needs ctx.signer: its definition sets signsWorkerTokens')
  const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
  const worker = await startIngestionWorker(
    {
      sql,
      bus: ctx.bus,
      objects,
      embedder: createRouterEmbedder(router),
      sign: (identity) => signer.sign(identity),
      countTokens: loadTokenCounter,
      logger: ctx.logger,
      now: ctx.now,
      leaseMs: config.RAG_WORKER_LEASE_MS,
      batchSize: config.RAG_WORKER_BATCH_SIZE,
      retryBaseMs: config.RAG_WORKER_RETRY_BASE_MS,
      retryMaxMs: config.RAG_WORKER_RETRY_MAX_MS,
    },
    {
      sweepIntervalMs: config.RAG_WORKER_SWEEP_INTERVAL_MS,
      unclaimedAfterMs: config.RAG_WORKER_UNCLAIMED_AFTER_MS,
    },
  )
  // Stop consuming, and let files in hand reach their next batch, before the runtime closes the
  // bus and the pool.
  app.addHook('onClose', () => worker.close())
}
