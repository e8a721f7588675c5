// The gateway as its tests see it (not exported): composed by buildTestApp from @switchyard/testing
// in the one-process shape (the runtime's start: the in-process bus, memory state, the in-process
// transport to its peers), listening on a real port, on a fake clock. Every service it routes to but
// the agent (not running) is an answering stand-in; the stand-in admin resolves keys from a table
// the test controls and checks the gateway's own token like the real one. What is the gateway's
// own: that table, API keys, admin's key-revoked events, and the gateway alone over HTTP for what
// only that transport shows.
import type { AddressInfo } from 'node:net'
import { loadConfig } from '@switchyard/config'
import {
  type AdminConfigV1,
  adminConfigV1,
  type KeyResolution,
  type MemberResolution,
  type ServiceName,
} from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createServer,
  defineService,
  generateInternalKeyPair,
  registerService,
} from '@switchyard/kit'
import { createMemoryState } from '@switchyard/state'
import {
  type AnsweringStandIn,
  answeringStandIn,
  answerKeyResolution,
  answerMemberResolution,
  asEnv,
  buildTestApp,
  closedPortUrl,
  type FakeClock,
  fakeClock,
  KEY_RESOLUTION_PATH,
  MEMBER_RESOLUTION_PATH,
  type ReceivedRequest,
  startHttpStandIn,
} from '@switchyard/testing'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { onTestFinished } from 'vitest'
import { GatewayConfig } from './config.ts'
import { gatewayService } from './service.ts'

export interface GatewayUnderTest {
  /** Its origin on a real port. */
  url: string
  standIns: Partial<Record<ServiceName, AnsweringStandIn>>
  /** API keys the stand-in admin resolves, by the key as presented. */
  keys: Map<string, KeyResolution>
  /** Requests admin's stand-in got for key resolution. */
  lookups(): ReceivedRequest[]
  /** OIDC memberships the stand-in admin resolves, by `memberKey(orgId, subject)`. */
  members: Map<string, MemberResolution>
  /** Requests admin's stand-in got for OIDC member resolution. */
  memberLookups(): ReceivedRequest[]
  /** Publishes admin's member-changed (userId null: the whole org), as admin does after the change. */
  memberChanged(orgId: string, userId: string | null): Promise<void>
  /** The gateway's `ctx.now`: its caches expire when the test moves it, never by themselves. */
  clock: FakeClock
  /** Publishes admin's key-revoked, as admin does after revoking. */
  revoke(resolution: KeyResolution): Promise<void>
}

const standInServices = ['llm-router', 'chat', 'rag', 'admin'] as const

/**
 * The gateway for one test, closed when it finishes. `config` overrides GatewayConfig's defaults;
 * `catchUp` holds its read of admin.config.v1 unfinished until it resolves (a long replay).
 */
export async function startGateway(
  config: Partial<GatewayConfig> = {},
  options: { catchUp?: Promise<void> } = {},
): Promise<GatewayUnderTest> {
  const keys = new Map<string, KeyResolution>()
  const members = new Map<string, MemberResolution>()
  const clock = fakeClock()
  const standIns: Partial<Record<ServiceName, AnsweringStandIn>> = {}
  for (const name of standInServices)
    standIns[name] = answeringStandIn(name, name === 'admin' ? { needs: ['bus'] } : {})
  const admin = standIns.admin as AnsweringStandIn
  admin.answer(answerMemberResolution(members, answerKeyResolution(keys)))
  const { catchUp } = options
  const gateway =
    catchUp === undefined
      ? gatewayService
      : defineService({
          ...gatewayService,
          plugin: (app, ctx) =>
            gatewayService.plugin(app, { ...ctx, bus: holdCatchUp(ctx.bus, adminConfigV1.name, catchUp) }),
        })
  const testApp = await buildTestApp({
    services: {
      gateway,
      ...Object.fromEntries(standInServices.map((name) => [name, standIns[name]?.service])),
    },
    env: asEnv(config),
    listen: true,
    now: clock.now,
  })
  onTestFinished(() => testApp.close())
  return {
    url: testApp.url,
    standIns,
    keys,
    clock,
    lookups: () => admin.received.filter((r) => r.url === KEY_RESOLUTION_PATH),
    members,
    memberLookups: () => admin.received.filter((r) => r.url === MEMBER_RESOLUTION_PATH),
    async memberChanged(orgId, userId) {
      const event: AdminConfigV1 = { kind: 'member-changed', orgId, version: 1, payload: { userId } }
      await admin.context().bus.publish(adminConfigV1, `member-changed:${orgId}`, event)
    },
    async revoke(resolution) {
      const event: AdminConfigV1 = {
        kind: 'key-revoked',
        orgId: resolution.orgId,
        version: 1,
        payload: { keyId: resolution.keyId },
      }
      await admin.context().bus.publish(adminConfigV1, `key-revoked:${resolution.orgId}`, event)
    },
  }
}

/**
 * The gateway as a single target runs it, reaching its peers over HTTP (an undici Agent, as the
 * runtime's HTTP transport), each an HTTP stand-in echoing what it got; on its own bus and state.
 * Only for what the one-process transport does not show: a chunked body cut off past the limit
 * while it is being sent on (in one process the in-process dispatcher does not end a call whose
 * body fails midway; the call hangs until the gateway's deadline).
 */
export async function startGatewayOverHttp(
  config: Partial<GatewayConfig> = {},
): Promise<Pick<GatewayUnderTest, 'url' | 'keys'>> {
  const pair = generateInternalKeyPair()
  const verifier = createInternalTokenVerifier({ publicKey: pair.publicKey })
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const keys = new Map<string, KeyResolution>()
  const standIns = await Promise.all(standInServices.map((name) => startHttpStandIn(name, verifier)))
  standIns.find((s) => s.service === 'admin')?.answer(answerKeyResolution(keys))
  const agentUrl = await closedPortUrl() // the agent does not run
  const bus = createInProcessBus({ logger })
  const state = createMemoryState()
  const dispatcher = new Agent()
  const app = await createServer({ name: 'gateway', logger, metrics: new Registry(), identity: verifier })
  onTestFinished(async () => {
    await app.close()
    await Promise.all([dispatcher.close(), bus.close(), state.close(), ...standIns.map((s) => s.close())])
  })
  await registerService(app, gatewayService, {
    config: loadConfig(GatewayConfig, asEnv(config)),
    logger,
    metrics: new Registry(),
    bus,
    state,
    signer: createInternalTokenSigner({ privateKey: pair.privateKey }),
    serviceUrl: (name) => standIns.find((s) => s.service === name)?.url ?? agentUrl,
    dispatcher,
    now: Date.now,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, keys }
}

let keyCount = 0
/** A fresh API key and what admin resolves it to. */
export function apiKey(overrides: Partial<KeyResolution> = {}): { key: string; resolution: KeyResolution } {
  keyCount++
  const key = `sy_test${String(keyCount).padStart(4, '0')}_${'k'.repeat(40)}`
  return {
    key,
    resolution: {
      orgId: 'org_acme',
      userId: `user_${keyCount}`,
      keyId: `key_${keyCount}`,
      scopes: ['chat:write'],
      expiresAt: null,
      ...overrides,
    },
  }
}

/** Registers a key with the stand-in admin and returns the Authorization header that uses it. */
export function withKey(gateway: Pick<GatewayUnderTest, 'keys'>, overrides: Partial<KeyResolution> = {}) {
  const { key, resolution } = apiKey(overrides)
  gateway.keys.set(key, resolution)
  return { key, resolution, headers: { authorization: `Bearer ${key}` } }
}

/** `bus` with the catch-up of its subscriptions to `topic` held until `until` resolves (a long replay). */
function holdCatchUp(bus: EventBus, topic: string, until: Promise<void>): EventBus {
  return {
    publish: (t, key, data) => bus.publish(t, key, data),
    ready: () => bus.ready(),
    close: () => bus.close(),
    async subscribe(t, group, handler) {
      const subscription = await bus.subscribe(t, group, handler)
      if (t.name !== topic) return subscription
      return {
        close: () => subscription.close(),
        caughtUp: Promise.all([subscription.caughtUp, until]).then(() => undefined),
      }
    },
  }
}
