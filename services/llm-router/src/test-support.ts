// Shared by the llm-router's tests (not exported): the service on a real port behind the kit's
// server, an in-process bus whose usage events the test can read, and the official `openai`
// client pointed at it with an internal token as its apiKey.
import { type Identity, type LlmUsageV1, llmUsageV1 } from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createServer,
  generateInternalKeyPair,
  registerService,
  type ServiceContext,
} from '@switchyard/kit'
import { createMemoryState } from '@switchyard/state'
import { alice } from '@switchyard/testing'
import OpenAI from 'openai'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { expect, onTestFinished, vi } from 'vitest'
import type { LlmRouterConfig } from './config.ts'
import type { Admission } from './pipeline/admission.ts'
import type { LlmRouterExtras } from './plugin.ts'
import type { ModelRouter } from './routing/router.ts'
import { llmRouterService } from './service.ts'

export interface RouterUnderTest {
  url: string
  openai: OpenAI
  /** Headers of a request the gateway forwarded for alice. */
  headers: Record<string, string>
  /** The same for anyone. */
  headersFor(identity: Identity): Promise<Record<string, string>>
  router: ModelRouter
  metrics: Registry
  /** The in-process bus the router publishes usage on and hears admin.config.v1 from. */
  bus: EventBus
  /** Every llm.usage.v1 event published so far. */
  usage: LlmUsageV1[]
  /** Waits until `count` usage events arrived (and a little longer, so a duplicate would show). */
  usageEvents(count: number): Promise<LlmUsageV1[]>
}

export interface StartRouterOptions {
  admission?: Admission
  config?: Partial<LlmRouterConfig>
  /** A bus of the caller's (who closes it); `usage` then stays empty: read the bus yourself. */
  bus?: EventBus
}

/** The router for one test: closed when the test finishes. */
export async function startRouter(
  catalog: Record<string, unknown>,
  options: StartRouterOptions = {},
): Promise<RouterUnderTest> {
  const started = await startSharedRouter(catalog, options)
  onTestFinished(() => started.close())
  return started
}

/**
 * The router for the tests of a file that share it (started in beforeAll, say, when starting costs
 * seconds): the caller closes it.
 */
export async function startSharedRouter(
  catalog: Record<string, unknown>,
  options: StartRouterOptions = {},
): Promise<RouterUnderTest & { close(): Promise<void> }> {
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const metrics = new Registry()
  const app = await createServer({
    name: 'llm-router',
    logger,
    metrics,
    identity: createInternalTokenVerifier({ publicKey: keys.publicKey }),
  })
  const ownBus = options.bus === undefined ? createInProcessBus({ logger }) : undefined
  const bus = options.bus ?? (ownBus as EventBus)
  const usage: LlmUsageV1[] = []
  await ownBus?.subscribe(llmUsageV1, 'test-ledger', async (event) => {
    usage.push(event.data)
  })
  const state = createMemoryState()
  let router: ModelRouter | undefined
  const config: LlmRouterConfig = {
    LLM_ROUTER_MODELS: catalog,
    LLM_ROUTER_METRICS_ORGS: [alice.orgId],
    LLM_ROUTER_HEALTH_SYNC_MS: 1_000,
    LLM_ROUTER_LOCAL_MODEL: '',
    LLM_ROUTER_PROBE_INTERVAL_MS: 0,
    ...options.config,
  }
  const context: ServiceContext<LlmRouterConfig> & LlmRouterExtras = {
    config,
    logger,
    metrics,
    bus,
    state,
    serviceUrl: (name) => `http://${name}.invalid`,
    dispatcher: new Agent(),
    onRouter: (built) => {
      router = built
    },
    ...(options.admission ? { admission: options.admission } : {}),
  }
  await registerService(app, llmRouterService, context)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  const token = await signer.sign(alice)
  return {
    url,
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: token, maxRetries: 0 }),
    headers: { authorization: `Bearer ${token}` },
    headersFor: async (identity) => ({ authorization: `Bearer ${await signer.sign(identity)}` }),
    router: router as ModelRouter,
    metrics,
    bus,
    usage,
    async usageEvents(count) {
      await vi.waitFor(() => expect(usage.length).toBeGreaterThanOrEqual(count), { timeout: 5_000 })
      await new Promise((resolve) => setTimeout(resolve, 50))
      return usage
    },
    async close() {
      await app.close()
      await ownBus?.close()
      await state.close()
    },
  }
}

/** A one-alias catalog over one deployment. */
export function oneModel(
  alias: string,
  deployment: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { models: { [alias]: { deployments: [{ id: `${alias}-1`, weight: 1, ...deployment }], ...extra } } }
}

/** Asserts two embeddings match to 6 decimals (float32 on the wire, float64 in the fakes). */
export function expectVectorClose(actual: readonly number[] | undefined, expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length)
  for (let i = 0; i < expected.length; i++) expect(actual?.[i]).toBeCloseTo(expected[i] as number, 6)
}

/** The OpenAI error body of a raw response. */
export async function errorBody(
  res: Response,
): Promise<{ error: { type: string; message: string; code: string | null; param?: string | null } }> {
  return (await res.json()) as {
    error: { type: string; message: string; code: string | null; param?: string | null }
  }
}
