// Shared by admin's unit tests (not exported): admin started through the runtime's own start path
// (PGlite, the in-process bus, migrations applied), plus a stand-in llm-router that holds the same
// SQL pool and bus, so a test can publish usage, read admin.config.v1 and look into the database.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type AdminConfigV1,
  adminConfigV1,
  type Identity,
  type LlmUsageV1,
  llmUsageV1,
} from '@switchyard/contracts'
import type { EventBus, EventEnvelope } from '@switchyard/events'
import {
  createInternalTokenSigner,
  defineService,
  generateInternalKeyPair,
  type KitServer,
  type SqlPool,
} from '@switchyard/kit'
import { type Switchyard, start } from '@switchyard/runtime'
import { Type } from 'typebox'
import { expect, vi } from 'vitest'
import type { Role } from './access/roles.ts'
import { adminService } from './service.ts'

export interface OrgFixture {
  orgId: string
  ownerId: string
  /** The owner, signed in without a key (as an OIDC session through the gateway would be). */
  owner: Identity
  /** The owner's API key, as POST /admin/v1/orgs (or bootstrap) returned it. */
  ownerKey: string
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface AdminUnderTest {
  switchyard: Switchyard
  /** admin's own server (in one process each service may have its own behind the listener). */
  app: KitServer
  sql: SqlPool
  bus: EventBus
  /** Every admin.config.v1 event received so far, in arrival order. */
  configEvents: EventEnvelope<AdminConfigV1>[]
  /** The operator org, bootstrapped at start from ADMIN_BOOTSTRAP_ORG / _OWNER_EMAIL. */
  operator: OrgFixture
  request(
    who: Identity,
    method: Method,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    statusCode: number
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
    json(): any
    body: string
    headers: Record<string, unknown>
  }>
  /** A new org (made by the operator) with its owner. */
  createOrg(name: string): Promise<OrgFixture>
  /** A new member of `org` with `role`, added by its owner. */
  addMember(org: OrgFixture, role: Role, email?: string): Promise<Identity>
  /** Waits for a config event matching `match` and returns it. */
  configEvent(match: (event: AdminConfigV1) => boolean): Promise<AdminConfigV1>
  publishUsage(usage: LlmUsageV1): Promise<EventEnvelope<LlmUsageV1>>
  close(): Promise<void>
}

/** The gateway's own identity when it resolves keys. */
export const gateway: Identity = {
  orgId: 'platform',
  userId: 'gateway',
  keyId: null,
  scopes: ['internal:keys:resolve'],
}

export const session = (orgId: string, userId: string): Identity => ({
  orgId,
  userId,
  keyId: null,
  scopes: [],
})

let emails = 0
/** A unique email per call, so fixtures never collide. */
export const uniqueEmail = (who: string) => `${who}-${++emails}-${Date.now()}@example.com`

export async function startAdmin(env: Record<string, string> = {}): Promise<AdminUnderTest> {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-admin-'))
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
  const configEvents: EventEnvelope<AdminConfigV1>[] = []
  let sql: SqlPool | undefined
  let bus: EventBus | undefined
  const standIn = defineService({
    name: 'llm-router',
    configSchema: Type.Object({}),
    calls: [],
    needs: ['sql', 'bus'],
    plugin: async (_app, ctx) => {
      sql = ctx.sql
      bus = ctx.bus
      await ctx.bus.subscribe(adminConfigV1, 'test.config-events', async (event) => {
        configEvents.push(event)
      })
    },
  })
  const operatorEmail = uniqueEmail('operator')
  const switchyard = await start({
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
      ADMIN_BOOTSTRAP_ORG: 'Operator',
      ADMIN_BOOTSTRAP_OWNER_EMAIL: operatorEmail,
      ...env,
    },
    services: { admin: adminService, 'llm-router': standIn },
    homeDir: root,
    listen: false,
  })
  const pool = sql as SqlPool
  const app = adminApp(switchyard)

  const request: AdminUnderTest['request'] = async (who, method, url, body, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${await signer.sign(who)}`, ...headers },
      ...(body !== undefined && { payload: body as Record<string, unknown> }),
    })
    return res
  }

  const { rows } = await pool.query<{ org_id: string; user_id: string }>(
    `SELECT m.org_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1`,
    [operatorEmail],
  )
  const first = rows[0]
  if (!first) throw new Error('the operator org was not bootstrapped at start')
  const operator: OrgFixture = {
    orgId: first.org_id,
    ownerId: first.user_id,
    owner: session(first.org_id, first.user_id),
    // Bootstrap printed it to the log only; tests that need the operator's key make one.
    ownerKey: '',
  }

  return {
    switchyard,
    app,
    sql: pool,
    bus: bus as EventBus,
    configEvents,
    operator,
    request,
    async createOrg(name) {
      const res = await request(operator.owner, 'POST', '/admin/v1/orgs', {
        name,
        ownerEmail: uniqueEmail(name.toLowerCase().replaceAll(/\W/g, '')),
      })
      expect(res.statusCode, res.body).toBe(201)
      const created = res.json()
      return {
        orgId: created.org.id,
        ownerId: created.owner.userId,
        owner: session(created.org.id, created.owner.userId),
        ownerKey: created.secret,
      }
    },
    async addMember(org, role, email = uniqueEmail(role)) {
      const res = await request(org.owner, 'POST', '/admin/v1/users', { email, role })
      expect(res.statusCode, res.body).toBe(201)
      return session(org.orgId, res.json().userId)
    },
    async configEvent(match) {
      let found: AdminConfigV1 | undefined
      await vi.waitFor(
        () => {
          found = configEvents.map((e) => e.data).find(match)
          expect(found).toBeDefined()
        },
        { timeout: 5_000, interval: 20 },
      )
      return found as AdminConfigV1
    },
    publishUsage: (usage) => (bus as EventBus).publish(llmUsageV1, usage.orgId, usage),
    async close() {
      await switchyard.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/**
 * admin's server: its own when the runtime gives each service one in the one-process shape
 * (`apps`), else the single app every service shares.
 */
export function adminApp(switchyard: Switchyard): KitServer {
  const apps = (switchyard as { apps?: Partial<Record<string, KitServer>> }).apps
  return apps?.admin ?? switchyard.app
}

let requests = 0
/** A usage event as the llm-router would publish it; tests override what they measure. */
export function usage(overrides: Partial<LlmUsageV1> & Pick<LlmUsageV1, 'orgId' | 'userId'>): LlmUsageV1 {
  return {
    requestId: `req_${++requests}`,
    keyId: null,
    alias: 'llama-3.1-8b',
    deployment: 'vllm-a',
    provider: 'openai',
    inputTokens: 100,
    outputTokens: 20,
    costUsd: 0.000032,
    latencyMs: 250,
    ttftMs: 40,
    status: 'ok',
    errorCode: null,
    attempts: 1,
    stream: false,
    startedAt: new Date().toISOString(),
    ...overrides,
  }
}
