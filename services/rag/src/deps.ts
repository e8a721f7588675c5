import type { EventBus } from '@switchyard/events'
import type { SqlPool } from '@switchyard/kit'
import type { ObjectStore } from '@switchyard/object-store'
import type { Logger } from 'pino'
import type { RagConfig } from './config.ts'
import type { IngestRelay } from './ingest-events/outbox.ts'

/** What rag's features share, built once by the plugin. */
export interface RagDeps {
  config: RagConfig
  pool: SqlPool
  bus: EventBus
  logger: Logger
  /** Originals of uploaded files. */
  objects: ObjectStore
  /** Publishes rag.ingest.v1 events once their transaction committed. */
  relay: IngestRelay
}
