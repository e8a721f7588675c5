// Shared by the gateway's unit tests (not exported): the gateway on the kit's server over an
// in-memory state and an in-process bus, as a single target would run it (an undici Agent to real
// ports, as the runtime's HTTP transport), in front of one HTTP stand-in per service from
// @switchyard/testing. The stand-in admin resolves keys from a table the test controls, and checks
// the gateway's own token like the real one.
import type { AddressInfo } from 'node:net'
import {
  type AdminConfigV1,
  adminConfigV1,
  type Identity,
  type KeyResolution,
  type ServiceName,
} from '@switchyard/contracts'
import { createInProcessBus, type EventBus } from '@switchyard/events'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createServer,
  generateInternalKeyPair,
  type InternalTokenVerifier,
  type KitServer,
  registerService,
  type ServiceContext,
} from '@switchyard/kit'
import { createMemoryState, type SharedState } from '@switchyard/state'
import {
  answerKeyResolution,
  closedPortUrl,
  type HttpStandIn,
  KEY_RESOLUTION_PATH,
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
  app: KitServer
  /** Its origin on a real port. */
  url: string
  bus: EventBus
  state: SharedState
  /** Verifies internal tokens as every service does. */
  verifier: InternalTokenVerifier
  standIns: Partial<Record<ServiceName, HttpStandIn>>
  /** API keys the stand-in admin resolves, by the key as presented. */
  keys: Map<string, KeyResolution>
  /** Requests admin's stand-in got for key resolution. */
  lookups(): ReceivedRequest[]
  /** Publishes admin's key-revoked, as admin does after revoking. */
  revoke(resolution: KeyResolution): Promise<void>
}

const standInServices: ServiceName[] = ['llm-router', 'chat', 'rag', 'admin']

/**
 * The gateway with every service but the agent (not running: its port is closed) as a stand-in.
 * `config` overrides GatewayConfig's defaults.
 */
export async function startGateway(config: Partial<GatewayConfig> = {}): Promise<GatewayUnderTest> {
  const pair = generateInternalKeyPair()
  const verifier = createInternalTokenVerifier({ publicKey: pair.publicKey })
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const bus = createInProcessBus({ logger })
  const state = createMemoryState()
  const keys = new Map<string, KeyResolution>()
  const standIns: Partial<Record<ServiceName, HttpStandIn>> = {}
  for (const service of standInServices) standIns[service] = await startHttpStandIn(service, verifier)
  standIns.admin?.answer(answerKeyResolution(keys))
  const agentUrl = await closedPortUrl()
  const urlOf = (name: ServiceName) => standIns[name]?.url ?? agentUrl

  const app = await createServer({ name: 'gateway', logger, metrics: new Registry(), identity: verifier })
  const dispatcher = new Agent()
  const context: ServiceContext<GatewayConfig> = {
    config: { ...defaults(), ...config },
    logger,
    metrics: new Registry(),
    bus,
    state,
    signer: createInternalTokenSigner({ privateKey: pair.privateKey }),
    serviceUrl: urlOf,
    dispatcher,
  }
  await registerService(app, gatewayService, context)
  await app.listen({ port: 0, host: '127.0.0.1' })
  onTestFinished(async () => {
    await app.close()
    await dispatcher.close()
    await bus.close()
    await state.close()
    await Promise.all(Object.values(standIns).map((standIn) => standIn.close()))
  })
  return {
    app,
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    bus,
    state,
    verifier,
    standIns,
    keys,
    lookups: () => standIns.admin?.received.filter((r) => r.url === KEY_RESOLUTION_PATH) ?? [],
    async revoke(resolution) {
      const event: AdminConfigV1 = {
        kind: 'key-revoked',
        orgId: resolution.orgId,
        version: 1,
        payload: { keyId: resolution.keyId },
      }
      await bus.publish(adminConfigV1, `key-revoked:${resolution.orgId}`, event)
    },
  }
}

/** GatewayConfig with every default, as loadConfig gives it from an empty environment. */
export function defaults(): GatewayConfig {
  const config: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(GatewayConfig.properties)) {
    const fallback = (schema as { default?: unknown }).default
    if (fallback !== undefined) config[key] = fallback
  }
  return config as GatewayConfig
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
export function withKey(gateway: GatewayUnderTest, overrides: Partial<KeyResolution> = {}) {
  const { key, resolution } = apiKey(overrides)
  gateway.keys.set(key, resolution)
  return { key, resolution, headers: { authorization: `Bearer ${key}` } }
}
