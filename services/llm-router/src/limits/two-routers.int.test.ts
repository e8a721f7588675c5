// The must-show of issue #3: two llm-router replicas, each with its own Redis connection, hold one
// rpm limit and one budget between them. Each replica is the real router (kit server, the
// service's plugin, its pipeline) on a real port, with limits as its admission hook; the callers
// are the official `openai` client; the upstream is the fake OpenAI server.
import { randomUUID } from 'node:crypto'
import type { Identity } from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createRedisState,
  createServer,
  generateInternalKeyPair,
  type KitServer,
  registerService,
  type ServiceContext,
  type SharedState,
} from '@switchyard/kit'
import { getInfra, startFakeOpenAI } from '@switchyard/testing'
import { Redis } from 'ioredis'
import OpenAI, { APIError } from 'openai'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { expect, onTestFinished, test } from 'vitest'
import type { Pricing } from '../catalog/schema.ts'
import type { LlmRouterConfig } from '../config.ts'
import type { LlmRouterExtras } from '../plugin.ts'
import { llmRouterService } from '../service.ts'
import { estimatePromptTokens } from '../usage/tokens.ts'
import { createAdmission, type LimitsAdmission, worstCaseMicros } from './admission.ts'
import { type LimitsSpec, usdToMicros } from './config.ts'
import { budgetKeys, periodOf } from './keys.ts'

const { redisUrl } = await getInfra()

const pricing: Pricing = { inputPerMillion: 2, outputPerMillion: 10 }
const maxTokens = 50

async function twoRouters(limits: LimitsSpec) {
  const prefix = `test:limits-e2e:${randomUUID()}:`
  const upstream = await startFakeOpenAI({
    models: ['upstream-chat'],
    // Slow enough that all 50 requests are in flight together, holding their reservations.
    behavior: { latencyMs: 300, replyTokens: 20 },
  })
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const catalog = {
    models: {
      'chat-model': {
        deployments: [
          { id: 'chat-model-1', provider: 'openai', baseUrl: upstream.url, model: 'upstream-chat' },
        ],
        pricing,
      },
    },
  }
  const replicas: {
    url: string
    app: KitServer
    bus: EventBus
    state: SharedState
    admission: LimitsAdmission
  }[] = []
  for (let i = 0; i < 2; i++) {
    const state = createRedisState(new Redis(redisUrl, { maxRetriesPerRequest: 1 }), { prefix })
    const admission = createAdmission({ state, config: limits, logger })
    const metrics = new Registry()
    const app = await createServer({
      name: 'llm-router',
      logger,
      metrics,
      identity: createInternalTokenVerifier({ publicKey: keys.publicKey }),
    })
    const bus = createInProcessBus({ logger })
    const config: LlmRouterConfig = {
      LLM_ROUTER_MODELS: catalog,
      LLM_ROUTER_METRICS_ORGS: [],
      LLM_ROUTER_HEALTH_SYNC_MS: 1_000,
      LLM_ROUTER_LOCAL_MODEL: '',
      LLM_ROUTER_PROBE_INTERVAL_MS: 0,
    }
    const context: ServiceContext<LlmRouterConfig> & LlmRouterExtras = {
      config,
      logger,
      metrics,
      bus,
      state,
      serviceUrl: (name) => `http://${name}.invalid`,
      fetch,
      admission,
    }
    await registerService(app, llmRouterService, context)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    replicas.push({ url: `http://127.0.0.1:${port}/v1`, app, bus, state, admission })
  }
  const redis = new Redis(redisUrl)
  onTestFinished(async () => {
    for (const r of replicas) {
      await r.app.close()
      await r.admission.drain()
      await r.bus.close()
      await r.state.close()
    }
    await upstream.close()
    const left = await redis.keys(`${prefix}*`)
    if (left.length > 0) await redis.del(...left)
    redis.disconnect()
  })
  /** An openai client on replica `i` for `who`; no retries, so every 429 is seen. */
  const client = async (i: number, who: Identity) => {
    const replica = replicas[i % 2]
    if (replica === undefined) throw new Error('no replica')
    return new OpenAI({ baseURL: replica.url, apiKey: await signer.sign(who), maxRetries: 0 })
  }
  return { client, upstream, redis, prefix, replicas }
}

const messages = [{ role: 'user' as const, content: 'Name three rivers of Europe.' }]

/** 50 requests at once, alternating between the replicas. */
async function burst(clients: OpenAI[]) {
  return Promise.allSettled(
    clients.map((openai) =>
      openai.chat.completions.create({ model: 'chat-model', messages, max_tokens: maxTokens }),
    ),
  )
}

test('two replicas on one Redis admit exactly the org rpm out of 50 concurrent requests', async () => {
  const rpm = 20
  const acme: Identity = { orgId: `acme-${randomUUID()}`, userId: 'alice', keyId: 'key-1', scopes: [] }
  const { client, upstream } = await twoRouters({ limits: { defaults: { org: { rpm } } } })
  const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => client(i, acme)))
  const results = await burst(clients)
  const admitted = results.filter((r) => r.status === 'fulfilled')
  expect(admitted).toHaveLength(rpm)
  // Refused before any upstream call: the upstream saw exactly the admitted ones.
  expect(upstream.requests).toHaveLength(rpm)
  for (const r of results) {
    if (r.status === 'fulfilled') continue
    const error = r.reason as APIError
    expect(error).toBeInstanceOf(APIError)
    expect(error.status).toBe(429)
    expect(error.code).toBe('LLM_ROUTER_ERR_RATE_LIMITED')
    expect(error.message).toContain(`org ${acme.orgId}`)
    const retryAfter = Number(error.headers?.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
  }
})

test('two replicas on one Redis never spend more than the budget plus one worst case', async () => {
  const orgId = `globex-${randomUUID()}`
  const carol: Identity = { orgId, userId: 'carol', keyId: 'key-2', scopes: [] }
  // What the router reserves per request: its prompt estimate plus max_tokens at the alias' prices.
  const worstCase = worstCaseMicros(pricing, estimatePromptTokens(messages), maxTokens)
  const budgetMicros = Math.floor(worstCase * 12.5)
  const { client, redis, prefix, replicas } = await twoRouters({
    budgets: { orgs: { [orgId]: { amountUsd: budgetMicros / 1_000_000, period: 'month' } } },
  })
  const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => client(i, carol)))

  // Waves of 50 until the budget admits nobody: each wave's settles free what the reservations
  // held beyond the actual cost, so the next wave fits more, until only spent money is left.
  let spentMicros = 0
  let waves = 0
  let lastReason = ''
  for (; waves < 20; waves++) {
    const results = await burst(clients)
    for (const r of results) {
      if (r.status === 'fulfilled') {
        const usage = r.value.usage
        expect(usage).toBeDefined()
        const input = usage?.prompt_tokens ?? 0
        const output = usage?.completion_tokens ?? 0
        // What the router settles: the actual tokens at the deployment's prices.
        spentMicros += usdToMicros(
          (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1e6,
        )
      } else {
        const error = r.reason as APIError
        expect(error.status).toBe(429)
        expect(error.code).toBe('LLM_ROUTER_ERR_BUDGET_EXCEEDED')
        expect(error.message).toContain(`org ${orgId}`)
        lastReason = error.message
      }
    }
    for (const r of replicas) await r.admission.drain()
    // Settles run after the response: wait until both replicas have reported every one.
    await expect
      .poll(async () => {
        for (const r of replicas) await r.admission.drain()
        const [ledger] = budgetKeys(orgId, 'org', orgId, periodOf('month', Date.now()).name)
        return Number((await redis.hget(`${prefix}${ledger}`, 'spent')) ?? '0')
      })
      .toBe(spentMicros)
    if (results.every((r) => r.status === 'rejected')) break
  }
  expect(waves).toBeGreaterThan(1)
  expect(waves).toBeLessThan(20)
  expect(spentMicros).toBeLessThanOrEqual(budgetMicros + worstCase)
  // It stopped because the money was spent, not because reservations were in flight.
  expect(lastReason).toContain('The budget resets at')
  expect(spentMicros + worstCase).toBeGreaterThan(budgetMicros)
})
