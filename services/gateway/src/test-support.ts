// Shared by the gateway's unit tests (not exported): the gateway on the kit's server over an
// in-memory state and an in-process bus, as a single target would run it (an undici Agent to real
// ports, as the runtime's HTTP transport), in front of one recording stand-in per service. The stand-in admin resolves keys
// from a table the test controls, and checks the gateway's own token like the real one.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
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
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'
import { onTestFinished } from 'vitest'
import { GatewayConfig } from './config.ts'
import { gatewayService } from './service.ts'

/** One request as a stand-in service received it. */
export interface Received {
  service: ServiceName
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The identity in the internal token it carried, or null when it did not verify. */
  identity: Identity | null
}

/** How a stand-in answers one request; the default echoes what it received as JSON. */
export type StandInHandler = (request: Received, res: ServerResponse) => void | Promise<void>

export interface StandIn {
  service: ServiceName
  url: string
  received: Received[]
  /** Answers the next requests with `handler` (until set again). */
  answer(handler: StandInHandler | null): void
  close(): Promise<void>
}

/** A service stand-in on a real port: records each request, then answers. */
export async function startStandIn(service: ServiceName, verifier: InternalTokenVerifier): Promise<StandIn> {
  const received: Received[] = []
  let handler: StandInHandler | null = null
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const identity = token ? await verifier.verify(token).catch(() => null) : null
    const request: Received = {
      service,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      identity,
    }
    received.push(request)
    if (handler) return handler(request, res)
    echo(request, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    service,
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (next) => {
      handler = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** What a stand-in answers by default: 200 and what it received, as JSON. */
export function echo(request: Received, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': request.service })
  res.end(
    JSON.stringify({
      service: request.service,
      method: request.method,
      url: request.url,
      body: request.body,
    }),
  )
}

/** A port nothing listens on (it was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const server = createHttpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

export interface GatewayUnderTest {
  app: KitServer
  /** Its origin on a real port. */
  url: string
  bus: EventBus
  state: SharedState
  /** Verifies internal tokens as every service does. */
  verifier: InternalTokenVerifier
  standIns: Partial<Record<ServiceName, StandIn>>
  /** API keys the stand-in admin resolves, by the key as presented. */
  keys: Map<string, KeyResolution>
  /** Requests admin's stand-in got for key resolution. */
  lookups(): Received[]
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
  const standIns: Partial<Record<ServiceName, StandIn>> = {}
  for (const service of standInServices) standIns[service] = await startStandIn(service, verifier)
  standIns.admin?.answer((request, res) => {
    if (request.url !== '/admin/v1/internal/keys/resolve') return echo(request, res)
    if (!request.identity?.scopes.includes('internal:keys:resolve')) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: { type: 'permission_error', message: 'scope', code: 'ADMIN_ERR_MISSING_SCOPE' },
        }),
      )
      return
    }
    const resolution = keys.get(JSON.parse(request.body).key)
    if (resolution === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: {
            type: 'authentication_error',
            message: 'Invalid API key',
            code: 'ADMIN_ERR_INVALID_API_KEY',
          },
        }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(resolution))
  })
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
    lookups: () => standIns.admin?.received.filter((r) => r.url === '/admin/v1/internal/keys/resolve') ?? [],
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

/** A response's JSON body, for reading field by field. */
// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
export async function body(res: Response): Promise<any> {
  return res.json()
}
