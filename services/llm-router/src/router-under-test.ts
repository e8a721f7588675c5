// The llm-router as its tests see it (not exported): composed by buildTestApp from
// @switchyard/testing (the runtime's start: an in-process bus, memory state), served on a real
// port, with the official `openai` client pointed at it. What is the router's own: its catalog and
// config given as its environment, the seams its plugin takes beside the runtime's context (an
// Admission, a bus of the test's, a metrics registry of the test's, the ModelRouter it builds) and
// the llm.usage.v1 events it publishes.
import { type Identity, type LlmUsageV1, llmUsageV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import { defineService } from '@switchyard/kit'
import { alice, asEnv, buildTestApp } from '@switchyard/testing'
import OpenAI from 'openai'
import { Registry } from 'prom-client'
import { expect, onTestFinished, vi } from 'vitest'
import type { LlmRouterConfig } from './config.ts'
import type { Admission } from './pipeline/admission.ts'
import type { LlmRouterOptions } from './plugin.ts'
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
  /** The bus the router publishes usage on and hears admin.config.v1 from. */
  bus: EventBus
  /** Every llm.usage.v1 event published so far. */
  usage: LlmUsageV1[]
  /** Waits until `count` usage events arrived (and a little longer, so a duplicate would show). */
  usageEvents(count: number): Promise<LlmUsageV1[]>
}

export interface StartRouterOptions {
  admission?: Admission
  /** Config keys beyond the catalog, as values (objects and lists as the environment spells them). */
  config?: Partial<LlmRouterConfig>
  /** A bus of the caller's (who closes it), in place of the runtime's; `usage` then stays empty: read the bus yourself. */
  bus?: EventBus
  /** The router's `ctx.now` (a `fakeClock().now`): cooldowns then end when the test moves it. Default Date.now. */
  now?: () => number
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
  let context: LlmRouterOptions | undefined
  let router: ModelRouter | undefined
  const usage: LlmUsageV1[] = []
  // The real service, handed the test's seams with the runtime's context.
  const service = defineService({
    ...llmRouterService,
    plugin: async (app, ctx) => {
      context = {
        ...ctx,
        // Its own: the runtime's registry is the process's, and would count the file's earlier tests.
        metrics: new Registry(),
        ...(options.bus && { bus: options.bus }),
        ...(options.admission && { admission: options.admission }),
        onRouter: (built) => {
          router = built
        },
      }
      // Subscribed before the plugin registers: no usage event can come before it.
      if (!options.bus)
        await ctx.bus.subscribe(llmUsageV1, 'test-ledger', async (event) => {
          usage.push(event.data)
        })
      await llmRouterService.plugin(app, context)
    },
  })
  const testApp = await buildTestApp({
    services: { 'llm-router': service },
    env: asEnv({
      LLM_ROUTER_MODELS: catalog,
      LLM_ROUTER_METRICS_ORGS: [alice.orgId],
      LLM_ROUTER_LOCAL_MODEL: 'off',
      LLM_ROUTER_LOCAL_EMBEDDING_MODEL: 'off',
      ...options.config,
    }),
    ...(options.now && { now: options.now }),
  })
  const url = await testApp.serve('llm-router').catch(async (error: unknown) => {
    await testApp.close()
    throw error
  })
  const ctx = context as LlmRouterOptions
  const { authorization } = await testApp.headers(alice)
  return {
    url,
    openai: new OpenAI({
      baseURL: `${url}/v1`,
      apiKey: authorization.slice('Bearer '.length),
      maxRetries: 0,
    }),
    headers: { authorization },
    headersFor: (identity) => testApp.headers(identity),
    router: router as ModelRouter,
    metrics: ctx.metrics,
    bus: ctx.bus,
    usage,
    async usageEvents(count) {
      await vi.waitFor(() => expect(usage.length).toBeGreaterThanOrEqual(count), { timeout: 5_000 })
      await new Promise((resolve) => setTimeout(resolve, 50))
      return usage
    },
    close: () => testApp.close(),
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
