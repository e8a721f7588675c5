import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

/** The ingestion worker's settings (`--target=rag-worker`, and the consumer inside one process). */
export const RagWorkerConfig = Type.Object({
  /** How long a claim holds a file, renewed after every batch: a killed worker's file waits this long. */
  RAG_WORKER_LEASE_MS: Duration({ default: '60s', minimum: 100 }),
  /** How often the sweeper takes up files whose lease ran out (a dead worker, a retry that is due). */
  RAG_WORKER_SWEEP_INTERVAL_MS: Duration({ default: '5s', minimum: 100 }),
  /** A file in progress that nobody claimed for this long (its event was lost) is swept up too. */
  RAG_WORKER_UNCLAIMED_AFTER_MS: Duration({ default: '30s', minimum: 100 }),
  /** Chunks per `/v1/embeddings` request. */
  RAG_WORKER_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 2048, default: 64 }),
  /** First retry of a transient failure (router down, 429, 5xx); doubles up to the max. */
  RAG_WORKER_RETRY_BASE_MS: Duration({ default: '1s', minimum: 1 }),
  RAG_WORKER_RETRY_MAX_MS: Duration({ default: '5m', minimum: 1 }),
})
export type RagWorkerConfig = Static<typeof RagWorkerConfig>
