// A router that starts after admin announced a budget and a catalog route (on a real Kafka, admin
// on a real PostgreSQL): the first request it serves already routes by admin's catalog and spends
// within the budget. Before, it answered at once from its file catalog, with no budget.
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { openScratchDatabase, type ScratchDatabase } from '@switchyard/admin/scratch-database'
import { type Identity, roleScopes } from '@switchyard/contracts'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { type Switchyard, start } from '@switchyard/runtime'
import { getInfra, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'

const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
// Admin's own signing key: the router then applies this admin's events only, not the shared
// topic's history left by other tests.
const configKey = generateKeyPairSync('ed25519')
let db: ScratchDatabase
let dir: string
let admin: Switchyard
let owner: Identity

beforeAll(async () => {
  const infra = getInfra()
  db = await openScratchDatabase('router_start')
  dir = await mkdtemp(join(tmpdir(), 'switchyard-router-start-int-'))
  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    DATABASE_URL: db.url.toString(),
    SWITCHYARD_DATA_DIR: join(dir, 'admin'),
    ADMIN_CONFIG_EVENTS_SIGNING_KEY: configKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
  admin = await start({ target: 'admin', env, services: { admin: adminService }, homeDir: dir })
  const made = await bootstrapAdmin(db.pool, {
    orgName: 'Acme',
    ownerEmail: `owner-${randomUUID()}@example.com`,
  })
  owner = { orgId: made.orgId, userId: made.userId, keyId: null, scopes: [...roleScopes.owner] }
}, 180_000)

afterAll(async () => {
  await admin?.close()
  await db?.drop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function call(origin: string, identity: Identity, method: string, path: string, body?: unknown) {
  return fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await signer.sign(identity)}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

test('a router started after admin set a budget and a route enforces both on the first request it serves', async () => {
  const fake = await startFakeOpenAI({ models: ['m'] })
  onTestFinished(() => fake.close())
  const alias = `admins-${randomUUID().slice(0, 8)}`
  const model = await call(admin.url, owner, 'POST', '/admin/v1/models', {
    alias,
    deployments: [{ id: `${alias}-1`, provider: 'openai', baseUrl: fake.url, model: 'm' }],
    price: { inputPerMillion: 1, outputPerMillion: 1 },
  })
  expect(model.status, await model.clone().text()).toBe(201)
  // One micro-dollar a day for the owner: any request's worst case is more.
  const budget = await call(admin.url, owner, 'POST', '/admin/v1/budgets', {
    scope: 'user',
    subjectId: owner.userId,
    amountUsd: 0.000001,
    period: 'day',
  })
  expect(budget.status, await budget.clone().text()).toBe(201)

  const router = await start({
    target: 'llm-router',
    services: { 'llm-router': llmRouterService },
    homeDir: dir,
    env: {
      KAFKA_BROKERS: getInfra().kafkaBrokers.join(','),
      REDIS_URL: getInfra().redisUrl,
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SWITCHYARD_HOST: '127.0.0.1',
      SWITCHYARD_PORT: '0',
      SWITCHYARD_DATA_DIR: join(dir, 'router'),
      LLM_ROUTER_LOCAL_MODEL: 'off',
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          files: { deployments: [{ id: 'files-1', provider: 'openai', baseUrl: fake.url, model: 'm' }] },
        },
      }),
      LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY: configKey.publicKey
        .export({ type: 'spki', format: 'pem' })
        .toString(),
    },
  })
  onTestFinished(() => router.close())

  const chat = (identity: Identity) =>
    call(router.url, identity, 'POST', '/v1/chat/completions', {
      model: alias,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 8,
    })
  // While it reads admin.config.v1 the router says so and when to come back; the first other
  // answer is the one that counts.
  let first = await chat(owner)
  while (first.status === 503) {
    const body = (await first.json()) as { error: { code: string } }
    expect(body.error.code).toBe('LLM_ROUTER_ERR_CONFIG_LOADING')
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0)
    await sleep(100)
    first = await chat(owner)
  }
  expect(first.status, await first.clone().text()).toBe(429)
  expect(fake.requests).toHaveLength(0)
  // Someone without a budget is served, through admin's route (the file catalog lacks the alias).
  const other = await chat({ ...owner, userId: `user_${randomUUID().slice(0, 8)}` })
  expect(other.status, await other.clone().text()).toBe(200)
  expect(fake.requests).toHaveLength(1)
})
