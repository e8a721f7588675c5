// Stopgap until rag's own worker target is on main: rag's ingestion worker (its own code,
// startIngestionWorker and ingestFile) started beside rag's routes, as the one-process shape will.
// Its tokens for the requester are signed with the bench's internal key.
import { createLlmRouterClient } from '@switchyard/contracts'
import type { InternalTokenSigner, KitServer, ServiceContext, SqlPool } from '@switchyard/kit'
import { createRouterEmbedder } from '../../../services/rag/src/ingestion/embed.ts'
import { loadTokenCounter } from '../../../services/rag/src/ingestion/tokenizer.ts'
import { startIngestionWorker } from '../../../services/rag/src/ingestion/worker.ts'

export async function withIngestionWorker(
  app: KitServer,
  ctx: ServiceContext & { sql: SqlPool },
  signer: InternalTokenSigner,
): Promise<void> {
  const router = createLlmRouterClient({ dispatcher: ctx.dispatcher, origin: ctx.serviceUrl('llm-router') })
  if (ctx.objects === undefined) throw new Error('rag needs objects')
  const objects = ctx.objects
  const worker = await startIngestionWorker(
    {
      sql: ctx.sql,
      bus: ctx.bus,
      objects,
      embedder: createRouterEmbedder(router),
      sign: (identity) => signer.sign(identity),
      countTokens: loadTokenCounter,
      logger: ctx.logger,
      now: ctx.now,
      leaseMs: 60_000,
      batchSize: 64,
      retryBaseMs: 1_000,
      retryMaxMs: 60_000,
    },
    { sweepIntervalMs: 5_000, unclaimedAfterMs: 30_000 },
  )
  app.addHook('onClose', () => worker.close())
}
