// The ingestion worker: consumes rag.ingest.v1, and sweeps for files a request left unfinished (its
// worker died, or it waits for a retry), so a file in progress always ends completed or failed.
import { type Identity, ragIngestV1, scopes } from '@switchyard/contracts'
import type { Subscription } from '@switchyard/events'
import { type IngestDeps, type IngestOutcome, ingestFile } from './ingest.ts'

/**
 * What the worker's token for the requester carries: embeddings at the router, nothing else. The
 * routes that start an ingestion required llm:use of the requester.
 */
const embedScopes = [scopes.llmUse]

export interface WorkerOptions {
  /** How often the sweeper looks for files whose lease ran out, in ms; 0 never (tests call sweep()). */
  sweepIntervalMs: number
  /** A file in progress that nobody claimed for this long (its event was lost) is swept up too. */
  unclaimedAfterMs: number
}

export interface IngestionWorker {
  /** Ingests every unfinished file whose lease ran out (or that nobody claimed); resolves when done. */
  sweep(): Promise<IngestOutcome[]>
  close(): Promise<void>
}

/** Consumer group of the workers: each request goes to one of them. */
export const ingestGroup = 'rag-worker'

export async function startIngestionWorker(
  deps: IngestDeps,
  options: WorkerOptions,
): Promise<IngestionWorker> {
  const running = new Set<Promise<unknown>>()
  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work)
    void work.finally(() => running.delete(work)).catch(() => {})
    return work
  }

  const subscription: Subscription = await deps.bus.subscribe(ragIngestV1, ingestGroup, async (event) => {
    const { orgId, vectorStoreId, fileId, generation, requestedBy } = event.data
    const identity: Identity = {
      orgId,
      userId: requestedBy.userId,
      keyId: requestedBy.keyId,
      scopes: embedScopes,
    }
    // Transient failures are not thrown back to the bus (it would dead-letter them after a few
    // tries): the file keeps a lease until its retry time and the sweeper takes it up again.
    await track(ingestFile(deps, { orgId, vectorStoreId, fileId, generation, identity }))
  })

  let sweeping: Promise<IngestOutcome[]> | undefined
  const sweep = (): Promise<IngestOutcome[]> => {
    sweeping ??= track(sweepOnce(deps, options)).finally(() => {
      sweeping = undefined
    })
    return sweeping
  }
  const timer =
    options.sweepIntervalMs > 0
      ? setInterval(() => {
          sweep().catch((err: unknown) => deps.logger.error({ err }, 'ingestion sweep failed'))
        }, options.sweepIntervalMs)
      : undefined
  timer?.unref()

  return {
    sweep,
    async close() {
      if (timer !== undefined) clearInterval(timer)
      await subscription.close()
      await Promise.allSettled([...running])
    },
  }
}

type Unfinished = {
  org_id: string
  vector_store_id: string
  file_id: string
  generation: number
  user_id: string
  key_id: string | null
}

/**
 * Files in progress whose lease ran out, or that nobody claimed for a while, each with the identity
 * of the request that asked for its current generation (the outbox keeps it; the file's uploader
 * when it is gone). Ingested one after the other: the sweep is the slow path.
 */
async function sweepOnce(deps: IngestDeps, options: WorkerOptions): Promise<IngestOutcome[]> {
  const now = deps.now()
  const { rows } = await deps.sql.query<Unfinished>(
    `SELECT vf.org_id, vf.vector_store_id, vf.file_id, vf.generation,
            coalesce(o.payload -> 'requestedBy' ->> 'userId', f.created_by) AS user_id,
            CASE WHEN o.payload IS NULL THEN NULL ELSE o.payload -> 'requestedBy' ->> 'keyId' END AS key_id
     FROM vector_store_files vf
     JOIN files f ON f.id = vf.file_id AND f.org_id = vf.org_id
     LEFT JOIN LATERAL (
       SELECT payload FROM ingest_outbox
       WHERE event_key = vf.vector_store_id || '/' || vf.file_id AND org_id = vf.org_id
         AND (payload ->> 'generation')::int = vf.generation
       ORDER BY id DESC LIMIT 1) o ON true
     WHERE vf.status = 'in_progress'
       AND (vf.lease_until <= $1 OR (vf.lease_until IS NULL AND vf.updated_at <= $2))
     ORDER BY vf.updated_at
     LIMIT 100`,
    [new Date(now), new Date(now - options.unclaimedAfterMs)],
  )
  const outcomes: IngestOutcome[] = []
  for (const row of rows) {
    const identity: Identity = {
      orgId: row.org_id,
      userId: row.user_id,
      keyId: row.key_id,
      scopes: embedScopes,
    }
    outcomes.push(
      await ingestFile(deps, {
        orgId: row.org_id,
        vectorStoreId: row.vector_store_id,
        fileId: row.file_id,
        generation: row.generation,
        identity,
      }),
    )
  }
  return outcomes
}
