// The must-show of issue #3: two llm-router replicas, separate OS processes on one Redis, hold one
// rpm limit and one budget between them. Each replica is the real router started as a pod starts
// it (router-replica.ts: the runtime's single target, on Redis and Kafka, configured by its
// environment); the callers are the official `openai` client; the upstream is the fake OpenAI server.
import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Identity, scopes } from '@switchyard/contracts'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { getInfra, ignoreSharedAdminConfig, startFakeOpenAI } from '@switchyard/testing'
import { Redis } from 'ioredis'
import OpenAI, { APIError } from 'openai'
import { expect, onTestFinished, test } from 'vitest'
import type { Pricing } from '../catalog/schema.ts'
import { estimatePromptTokens } from '../usage/tokens.ts'
import { worstCaseMicros } from './admission.ts'
import { type LimitsSpec, usdToMicros } from './config.ts'
import { budgetKey, periodOf } from './keys.ts'
import type { ReplicaMessage } from './router-replica.ts'

const infra = getInfra()

const pricing: Pricing = { inputPerMillion: 2, outputPerMillion: 10 }
const maxTokens = 50
/** A replica that has not said it listens by then has failed (a first Kafka group join takes seconds). */
const startTimeoutMs = 60_000
/** SIGTERM drains within SHUTDOWN_GRACE_MS (1s below); past this the replica is killed. */
const closeTimeoutMs = 10_000
/** Settles reach Redis a few ms after each response; on a busy machine, give them longer. */
const settleTimeoutMs = 10_000
/**
 * Where the replicas' keys live: the runtime opens its Redis state with the state package's default prefix
 * (start.ts passes none, and no setting changes it).
 */
const statePrefix = 'switchyard:'

/**
 * Forks router-replica.ts with `env` as its whole environment and resolves to its URL once it
 * listens; rejects with its error if it fails to start. It is stopped (SIGTERM, then SIGKILL) when
 * the test finishes, passed or failed, and must then exit 0.
 */
async function startReplica(name: string, env: Record<string, string>): Promise<string> {
  const child = fork(fileURLToPath(new URL('./router-replica.ts', import.meta.url)), [], {
    env,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let started = false
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), closeTimeoutMs)
    const code = await exited
    clearTimeout(timer)
    // As a pod must: SIGTERM drains and exits 0 (killed after the timeout, there is no code).
    if (started && code !== 0) throw new Error(`${name} did not close cleanly on SIGTERM (exit ${code})`)
  })
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    )
    child.once('message', (message: ReplicaMessage) => {
      clearTimeout(timer)
      started = 'url' in message
      if ('url' in message) resolve(`${message.url}/v1`)
      else reject(new Error(`${name} failed to start:\n${message.error}`))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited (${signal ?? code}) before it started`))
    })
  })
}

async function twoRouters(limits: LimitsSpec) {
  const runId = randomUUID()
  const upstream = await startFakeOpenAI({
    models: ['upstream-chat'],
    // Slow enough that all 50 requests are in flight together, holding their reservations.
    behavior: { latencyMs: 300, replyTokens: 20 },
  })
  onTestFinished(() => upstream.close())
  const root = await mkdtemp(join(tmpdir(), 'two-routers-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const keys = generateInternalKeyPair()
  const catalog = {
    models: {
      'chat-model': {
        // Its own id per run: deployment cooldowns are keyed by the id alone in the shared Redis.
        deployments: [
          { id: `chat-${runId}`, provider: 'openai', baseUrl: upstream.url, model: 'upstream-chat' },
        ],
        pricing,
      },
    },
  }
  const env = (name: string): Record<string, string> => ({
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    // Each replica's own event outbox, as each pod has its own disk.
    SWITCHYARD_DATA_DIR: join(root, name),
    SHUTDOWN_GRACE_MS: '1s',
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    LLM_ROUTER_MODELS: JSON.stringify(catalog),
    ...ignoreSharedAdminConfig(),
    LLM_ROUTER_LIMITS: JSON.stringify(limits),
  })
  const urls = await Promise.all(['replica-a', 'replica-b'].map((name) => startReplica(name, env(name))))
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  /** An openai client on replica `i % 2` for `who`; no retries, so every 429 is seen. */
  const client = async (i: number, who: Identity) =>
    new OpenAI({ baseURL: urls[i % 2], apiKey: await signer.sign(who), maxRetries: 0 })
  return { client, upstream }
}

/**
 * A Redis client to read what the replicas wrote. The runtime cannot be given a key prefix of the
 * run's own, so each test's org is unique to the run instead; every limits key of a request carries
 * its org's hash tag (keys.ts), and those are deleted when the test finishes.
 */
function orgRedis(orgId: string): Redis {
  const redis = new Redis(infra.redisUrl)
  onTestFinished(async () => {
    const left = await redis.keys(`${statePrefix}*{o:${encodeURIComponent(orgId)}}*`)
    if (left.length > 0) await redis.del(...left)
    redis.disconnect()
  })
  return redis
}

/**
 * The org's monthly ledger once no reservation is in flight: each replica settles a request a few
 * ms after answering it, so `reserved` drops to zero only when both have settled every one.
 */
async function settledLedger(redis: Redis, orgId: string) {
  // The Redis LimitsStore keeps a budget's spent and reserved in the hash `<key>:ledger`.
  const ledger = `${budgetKey(orgId, 'org', orgId, periodOf('month', Date.now()).name)}:ledger`
  const read = async () => {
    const { spent = '0', reserved = '0' } = await redis.hgetall(`${statePrefix}${ledger}`)
    return { spent: Number(spent), reserved: Number(reserved) }
  }
  await expect.poll(async () => (await read()).reserved, { timeout: settleTimeoutMs, interval: 20 }).toBe(0)
  return read()
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

test('two replica processes on one Redis admit exactly the org rpm out of 50 concurrent requests', async () => {
  const rpm = 20
  const acme: Identity = {
    orgId: `acme-${randomUUID()}`,
    userId: 'alice',
    keyId: 'key-1',
    scopes: [scopes.llmUse],
  }
  orgRedis(acme.orgId)
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

test('two replica processes on one Redis never spend more than the budget plus one worst case', async () => {
  const orgId = `globex-${randomUUID()}`
  const carol: Identity = { orgId, userId: 'carol', keyId: 'key-2', scopes: [scopes.llmUse] }
  // What the router reserves per request: its prompt estimate plus max_tokens at the alias' prices.
  const worstCase = worstCaseMicros(pricing, estimatePromptTokens(messages), maxTokens)
  const budgetMicros = Math.floor(worstCase * 12.5)
  const redis = orgRedis(orgId)
  const { client } = await twoRouters({
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
    // Both processes settled every admitted request, each at exactly its actual cost.
    expect((await settledLedger(redis, orgId)).spent).toBe(spentMicros)
    if (results.every((r) => r.status === 'rejected')) break
  }
  expect(waves).toBeGreaterThan(1)
  expect(waves).toBeLessThan(20)
  expect(spentMicros).toBeLessThanOrEqual(budgetMicros + worstCase)
  // It stopped because the money was spent, not because reservations were in flight.
  expect(lastReason).toContain('The budget resets at')
  expect(spentMicros + worstCase).toBeGreaterThan(budgetMicros)
})
