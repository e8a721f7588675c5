// Admin as its tests see it (not exported): composed by buildTestApp from @switchyard/testing (the
// runtime's start path: PGlite, the in-process bus, migrations applied) beside a stand-in
// llm-router that holds the same SQL pool and bus, so a test can publish usage, read
// admin.config.v1 and look into the database. What is admin's own: its fixtures (the bootstrapped
// operator, orgs, members, usage events) and a request helper that signs as any identity.
import {
  type AdminConfigV1,
  adminConfigV1,
  type Identity,
  type LlmUsageV1,
  llmUsageV1,
} from '@switchyard/contracts'
import type { EventBus, EventEnvelope } from '@switchyard/events'
import type { KitServer, SqlPool } from '@switchyard/kit'
import type { Switchyard } from '@switchyard/runtime'
import { buildTestApp, recordEvents, session, standIn } from '@switchyard/testing'
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
  /** New members of `org`, one per role, in order. */
  addMembers<const R extends readonly Role[]>(
    org: OrgFixture,
    roles: R,
  ): Promise<{ [K in keyof R]: Identity }>
  /** Waits for a config event matching `match` and returns it. */
  configEvent(match: (event: AdminConfigV1) => boolean): Promise<AdminConfigV1>
  publishUsage(usage: LlmUsageV1): Promise<EventEnvelope<LlmUsageV1>>
  close(): Promise<void>
}

/** The gateway's own identity when it resolves keys. */
export const gateway: Identity = session('platform', 'gateway', ['internal:keys:resolve'])

/** The gateway's key lookup, as the gateway calls it. */
export const resolveKey = (admin: AdminUnderTest, key: string) =>
  admin.request(gateway, 'POST', '/admin/v1/internal/keys/resolve', { key })

/** A key `who` makes through the API (named 'ci' unless `body` says otherwise); the 201 is checked. */
export async function createKeyAs(admin: AdminUnderTest, who: Identity, body: Record<string, unknown> = {}) {
  const res = await admin.request(who, 'POST', '/admin/v1/keys', { name: 'ci', ...body })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as {
    key: { id: string; prefix: string; userId: string; scopes: string[] }
    secret: string
  }
}

let emails = 0
/** A unique email per call, so fixtures never collide. */
export const uniqueEmail = (who: string) => `${who}-${++emails}-${Date.now()}@example.com`

export async function startAdmin(env: Record<string, string> = {}): Promise<AdminUnderTest> {
  let configEvents: EventEnvelope<AdminConfigV1>[] = []
  // Subscribed at registration, so the events admin publishes while it starts are heard too.
  const router = standIn('llm-router', {
    needs: ['sql', 'bus'],
    register: async (_app, ctx) => {
      configEvents = await recordEvents(ctx.bus, adminConfigV1, 'test.config-events')
    },
  })
  const operatorEmail = uniqueEmail('operator')
  const testApp = await buildTestApp({
    services: { admin: adminService, 'llm-router': router.service },
    env: { ADMIN_BOOTSTRAP_ORG: 'Operator', ADMIN_BOOTSTRAP_OWNER_EMAIL: operatorEmail, ...env },
  })
  const { switchyard } = testApp
  const { bus } = router.context()
  const pool = router.context().sql as SqlPool
  const app = testApp.app('admin')

  const request: AdminUnderTest['request'] = async (who, method, url, body, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(await testApp.headers(who)), ...headers },
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

  const addMember: AdminUnderTest['addMember'] = async (org, role, email = uniqueEmail(role)) => {
    const res = await request(org.owner, 'POST', '/admin/v1/users', { email, role })
    expect(res.statusCode, res.body).toBe(201)
    return session(org.orgId, res.json().userId)
  }

  return {
    switchyard,
    app,
    sql: pool,
    bus,
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
    addMember,
    async addMembers(org, roles) {
      const members: Identity[] = []
      for (const role of roles) members.push(await addMember(org, role))
      return members as { [K in keyof typeof roles]: Identity }
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
    publishUsage: (usage) => bus.publish(llmUsageV1, usage.orgId, usage),
    close: () => testApp.close(),
  }
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
