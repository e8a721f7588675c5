import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@switchyard/config'
import type { Identity } from '@switchyard/contracts'
import {
  createInternalTokenVerifier,
  defineService,
  generateInternalKeyPair,
  openEventStream,
} from '@switchyard/kit'
import { Type } from 'typebox'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import type { ServiceRegistry } from './plan.ts'
import { type Switchyard, start } from './start.ts'

const alice: Identity = { orgId: 'org_acme', userId: 'user_alice', keyId: 'key_1', scopes: [] }
const open = { config: { public: true } } as const

// A gateway and a router that both have /v1/chat/completions, as the real ones do.
const registry: ServiceRegistry = {
  gateway: defineService({
    name: 'gateway',
    configSchema: Type.Object({}),
    calls: ['llm-router', 'agent'],
    needs: ['state'],
    signsInternalTokens: true,
    plugin: async (app, ctx) => {
      app.get('/v1/chat/completions', open, async () => ({ server: 'gateway' }))
      app.get('/token', open, async () => ({ token: (await ctx.signer?.sign(alice)) ?? null }))
      app.get('/forward', open, async () => {
        const token = await ctx.signer?.sign(alice)
        const res = await ctx.dispatcher.request({
          origin: ctx.serviceUrl('llm-router'),
          path: '/v1/chat/completions',
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
        })
        return { status: res.statusCode, body: await res.body.json() }
      })
      app.get('/forward-stream', open, async (_request, reply) => {
        const token = await ctx.signer?.sign(alice)
        const res = await ctx.dispatcher.request({
          origin: ctx.serviceUrl('llm-router'),
          path: '/stream',
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
        })
        return reply.type('text/event-stream').send(res.body)
      })
      app.get('/to-agent', open, async () =>
        ctx.dispatcher.request({ origin: ctx.serviceUrl('agent'), path: '/v1/agents', method: 'GET' }).then(
          (res) => ({ reached: res.statusCode }),
          (error: { code?: string }) => ({ refused: error.code }),
        ),
      )
    },
  }),
  'llm-router': defineService({
    name: 'llm-router',
    configSchema: Type.Object({}),
    calls: [],
    needs: [],
    plugin: async (app, ctx) => {
      // The router calls nobody: its dispatcher refuses even the gateway, which runs beside it.
      app.get('/to-gateway', open, async () =>
        ctx.dispatcher.request({ origin: ctx.serviceUrl('gateway'), path: '/healthz', method: 'GET' }).then(
          (res) => ({ reached: res.statusCode }),
          (error: Error) => ({ refused: error.message }),
        ),
      )
      app.get('/v1/chat/completions', async (request) => ({
        server: 'llm-router',
        identity: request.identity,
        hasSigner: ctx.signer !== undefined,
      }))
      // Ticks until the server shuts down, then says goodbye and ends.
      app.get('/stream', async (request, reply) => {
        const stream = openEventStream(request, reply)
        const timer = setInterval(() => stream.send({ data: 'tick' }), 20)
        stream.signal.addEventListener('abort', () => {
          clearInterval(timer)
          stream.send({ data: 'bye' })
          stream.close()
        })
        return reply
      })
    },
  }),
}

let root: string
let switchyard: Switchyard
const metricsToken = 'listener-test-metrics-token'

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-listener-'))
  switchyard = await start({
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'silent',
      SWITCHYARD_PORT: '0',
      SHUTDOWN_GRACE_MS: '10s',
      SWITCHYARD_METRICS_TOKEN: metricsToken,
    },
    services: registry,
    homeDir: root,
  })
}, 60_000)

afterAll(async () => {
  await switchyard?.close()
  await rm(root, { recursive: true, force: true })
})

test('in one process the listener is the gateway, and each service has its own server: one path, no collision', async () => {
  expect(switchyard.app).toBe(switchyard.apps.gateway)
  const edge = await fetch(`${switchyard.url}/v1/chat/completions`)
  expect(await edge.json()).toEqual({ server: 'gateway' })
  const router = switchyard.apps['llm-router']
  expect(router).not.toBe(switchyard.app)
  const direct = await router?.inject({ method: 'GET', url: '/v1/chat/completions' })
  // The router's own route still wants an internal token.
  expect(direct?.statusCode).toBe(401)
})

test('the gateway signs with the key every service verifies, reaches the router in-process, and only it has a signer', async () => {
  const res = await fetch(`${switchyard.url}/forward`)
  expect(await res.json()).toEqual({
    status: 200,
    body: { server: 'llm-router', identity: alice, hasSigner: false },
  })
})

test('a service that does not run in this process is a refused connection', async () => {
  const res = await fetch(`${switchyard.url}/to-agent`)
  expect(await res.json()).toEqual({ refused: 'ECONNREFUSED' })
})

test('a call to a service the caller does not list in calls fails, naming the fix', async () => {
  const res = await switchyard.apps['llm-router']?.inject({ method: 'GET', url: '/to-gateway' })
  expect(res?.json()).toEqual({
    refused: "llm-router called gateway, which its definition does not list in calls: add 'gateway' to calls",
  })
})

test('the listener answers health, readiness over every backend in use, and metrics', async () => {
  expect((await fetch(`${switchyard.url}/healthz`)).status).toBe(200)
  const ready = await fetch(`${switchyard.url}/readyz`)
  expect(ready.status).toBe(200)
  const report = (await ready.json()) as { checks: Record<string, unknown> }
  // Neither service here keeps data in SQL, so no database was opened.
  expect(Object.keys(report.checks).sort()).toEqual(['bus:in-process', 'state:memory'])
  // A service's own server checks only what it was granted (the router here: nothing).
  const routerReady = await switchyard.apps['llm-router']?.inject({ method: 'GET', url: '/readyz' })
  expect(routerReady?.json().checks).toEqual({})
  const metrics = await fetch(`${switchyard.url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  })
  expect(await metrics.text()).toContain('http_request_duration_seconds')
})

test('close() ends a stream passed on from another service at once (not after the grace period), then every server', async () => {
  const res = await fetch(`${switchyard.url}/forward-stream`)
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let seen = ''
  while (!seen.includes('data: tick')) seen += new TextDecoder().decode((await reader.read()).value)
  const closedAt = performance.now()
  const closing = switchyard.close()
  let rest = ''
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += new TextDecoder().decode(chunk.value)
  await closing
  // The router said goodbye when told to finish, and nothing waited for the 10 s grace.
  expect(rest).toContain('data: bye')
  expect(performance.now() - closedAt).toBeLessThan(5_000)
  await expect(switchyard.apps['llm-router']?.inject({ method: 'GET', url: '/healthz' })).rejects.toThrow()
})

test('a single target that signs needs INTERNAL_TOKEN_PRIVATE_KEY, gets a signer from it, and is its own only app', async () => {
  const keys = generateInternalKeyPair()
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-signer-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  const env = {
    SWITCHYARD_DATA_DIR: dir,
    SWITCHYARD_LOG_LEVEL: 'silent',
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    SWITCHYARD_SERVICE_URL_TEMPLATE: 'http://{name}.test:8080',
  } as const
  const single = { gateway: { ...registry.gateway, needs: [] } } as ServiceRegistry
  const missing = await start({ target: 'gateway', env, services: single, listen: false }).catch((e) => e)
  expect(missing).toBeInstanceOf(ConfigError)
  expect((missing as ConfigError).issues.map((i) => i.key)).toEqual(['INTERNAL_TOKEN_PRIVATE_KEY'])

  const gateway = await start({
    target: 'gateway',
    env: { ...env, INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey },
    services: single,
    listen: false,
  })
  onTestFinished(() => gateway.close())
  expect(gateway.apps).toEqual({ gateway: gateway.app })
  const res = await gateway.app.inject({ method: 'GET', url: '/token' })
  const verifier = createInternalTokenVerifier({ publicKey: keys.publicKey })
  await expect(verifier.verify(res.json().token)).resolves.toEqual(alice)
})
