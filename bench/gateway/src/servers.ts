// The benchmark's servers, each run in a child process of its own (`node src/servers.ts <role>`),
// as they would run in their own pods: `router` is the llm-router over a fake OpenAI upstream,
// `gateway` the gateway in front of it with a stand-in admin that resolves the benchmark's key,
// `proxy` a bare node:http + undici proxy to the router (the floor any proxy pays for the hop).
// The parent sends the setup as the first IPC message; the child answers `{ url }` once it listens.
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '@switchyard/config'
import { type ServiceName, serviceNames } from '@switchyard/contracts'
import { createInProcessBus } from '@switchyard/events'
import { GatewayConfig, gatewayService } from '@switchyard/gateway'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createServer,
  type KitServer,
  registerService,
  type ServiceContext,
  type ServiceDefinition,
} from '@switchyard/kit'
import { createHttpTransport, createPeerDispatcher } from '@switchyard/runtime'
import { createMemoryState, createRedisState, type SharedState } from '@switchyard/state'
import { startFakeOpenAI } from '@switchyard/testing'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Agent } from 'undici'

export interface Setup {
  publicKey: string
  privateKey: string
  model: string
  apiKey: string
  /** The router's origin, for the gateway. */
  routerUrl?: string
  /** Redis for the gateway's rate limits; unset: in memory. */
  redisUrl?: string
  /** Extra GATEWAY_* config. */
  gatewayEnv?: Record<string, string>
}

const logger = pino({ level: 'silent' })

/**
 * A service on a server of its own, as a single target runs it: its own registry, an in-process
 * bus, no log lines, and the runtime's HTTP transport limited to the service's calls.
 */
async function serve(
  setup: Setup,
  service: ServiceDefinition,
  context: Pick<ServiceContext, 'config' | 'state' | 'serviceUrl' | 'signer'>,
): Promise<KitServer> {
  const metrics = new Registry()
  const app = await createServer({
    name: service.name,
    logger,
    metrics,
    identity: createInternalTokenVerifier({ publicKey: setup.publicKey }),
  })
  await registerService(app, service, {
    ...context,
    logger,
    metrics,
    bus: createInProcessBus({ logger }),
    dispatcher: createPeerDispatcher({
      transport: createHttpTransport({ connectionsPerPeer: 128 }),
      caller: service.name,
      calls: service.calls,
      urls: Object.fromEntries(serviceNames.map((name) => [name, context.serviceUrl(name)])) as Record<
        ServiceName,
        string
      >,
    }),
    now: Date.now,
  })
  return app
}

async function router(setup: Setup): Promise<KitServer> {
  // Loaded here: the gateway's process never needs the router's code.
  const { LlmRouterConfig, llmRouterService } = await import('@switchyard/llm-router')
  const upstream = await startFakeOpenAI({ models: [setup.model], record: false })
  const catalog = {
    models: {
      [setup.model]: {
        deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: setup.model }],
      },
    },
  }
  const app = await serve(setup, llmRouterService, {
    config: loadConfig(LlmRouterConfig, { LLM_ROUTER_MODELS: JSON.stringify(catalog) }),
    state: createMemoryState(),
    serviceUrl: (name) => `http://${name}.invalid`,
  })
  app.addHook('onClose', () => upstream.close())
  return app
}

async function gateway(setup: Setup): Promise<KitServer> {
  // admin's resolve endpoint, answering for the one benchmark key (the gateway caches it at once).
  const admin = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          orgId: 'org_bench',
          userId: 'user_bench',
          keyId: 'key_bench',
          scopes: ['llm:use'],
          expiresAt: null,
        }),
      )
    })
  })
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve))
  const adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`
  const state: SharedState = setup.redisUrl
    ? createRedisState(new Redis(setup.redisUrl))
    : createMemoryState()
  const app = await serve(setup, gatewayService, {
    // Limits on, high enough never to refuse: their cost is part of the path.
    config: loadConfig(GatewayConfig, {
      GATEWAY_KEY_CACHE_TTL_MS: '1h',
      GATEWAY_RATE_LIMIT_PER_KEY: '1000000000',
      GATEWAY_RATE_LIMIT_PER_ORG: '1000000000',
      ...setup.gatewayEnv,
    }),
    state,
    signer: createInternalTokenSigner({ privateKey: setup.privateKey }),
    serviceUrl: (name) => (name === 'admin' ? adminUrl : (setup.routerUrl as string)),
  })
  app.addHook('onClose', async () => {
    admin.close()
    await state.close()
  })
  return app
}

/** The least a proxy can do: read the small body, send it on over a keep-alive pool, pipe the answer back. */
async function proxy(setup: Setup): Promise<Server> {
  const agent = new Agent({ connections: 128 })
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const { host: _host, connection: _connection, ...headers } = req.headers
    const answer = await agent.request({
      origin: setup.routerUrl as string,
      path: req.url as string,
      method: req.method as 'POST',
      headers,
      body: Buffer.concat(chunks),
    })
    res.writeHead(answer.statusCode, answer.headers as Record<string, string>)
    answer.body.pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

const role = process.argv[2]
process.once('message', async (setup: Setup) => {
  let address: AddressInfo
  let close: () => Promise<unknown>
  if (role === 'proxy') {
    const server = await proxy(setup)
    address = server.address() as AddressInfo
    close = async () => server.close()
  } else {
    const app = await (role === 'router' ? router(setup) : gateway(setup))
    await app.listen({ port: 0, host: '127.0.0.1' })
    address = app.server.address() as AddressInfo
    close = () => app.close()
  }
  process.send?.({ url: `http://127.0.0.1:${address.port}` })
  process.once('disconnect', () => void close().then(() => process.exit(0)))
})
