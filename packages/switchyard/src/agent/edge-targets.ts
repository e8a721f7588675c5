// The public edge in front of agent replicas, as production runs it: admin (keys, on a PostgreSQL
// database of its own) and the gateway (API keys, Redis rate limits) each a target of its own.
// The runtime names every peer with one URL template (`http://{name}:8080` in a cluster, where
// DNS tells them apart); on loopback each target has its own port, so the gateway's peers are a
// small proxy that plays the cluster's routing: /admin/* to admin, everything else to agent.
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { adminService, bootstrapAdmin } from '@switchyard/admin'
import { gatewayService } from '@switchyard/gateway'
import { migrateTarget, type Switchyard, start } from '@switchyard/runtime'
import { createScratchDatabase, getInfra } from '@switchyard/testing'

export interface Edge {
  /** The gateway's origin: the platform's public URL. */
  url: string
  /** An owner API key of the org bootstrapped on admin. */
  apiKey: string
  orgId: string
  close(): Promise<void>
}

/** Forwards each request, streamed both ways (SSE included), to the origin `route` picks. */
function startMesh(route: (path: string) => string): Promise<Server> {
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', route(req.url ?? '/'))
    const out = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    out.on('error', () => res.destroy())
    res.on('close', () => out.destroy())
    req.pipe(out)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

const listenerUrl = (switchyard: Switchyard) =>
  `http://127.0.0.1:${(switchyard.app.server.address() as AddressInfo).port}`

export async function startEdge(options: {
  agentUrl: string
  keys: { publicKey: string; privateKey: string }
  dir: string
}): Promise<Edge> {
  const infra = getInfra()
  const database = await createScratchDatabase('agent_e2e_admin', { max: 2 })
  const common = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: options.keys.publicKey,
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    SHUTDOWN_GRACE_MS: '1s',
  }
  const started: Switchyard[] = []
  let mesh: Server | undefined
  const close = async () => {
    for (const switchyard of started.reverse()) await switchyard.close()
    await new Promise((resolve) => (mesh ? mesh.close(resolve) : resolve(undefined)))
    await database.drop()
  }
  try {
    const adminEnv = {
      ...common,
      DATABASE_URL: database.url.toString(),
      SWITCHYARD_DATA_DIR: join(options.dir, 'admin'),
    }
    const services = { admin: adminService }
    await migrateTarget({ target: 'admin', env: adminEnv, services, homeDir: options.dir })
    const admin = await start({ target: 'admin', env: adminEnv, services, homeDir: options.dir })
    started.push(admin)
    const owner = await bootstrapAdmin(database.pool, { orgName: 'Acme', ownerEmail: 'owner@acme.test' })
    const adminUrl = listenerUrl(admin)
    mesh = await startMesh((path) => (path.startsWith('/admin/') ? adminUrl : options.agentUrl))
    const gateway = await start({
      target: 'gateway',
      services: { gateway: gatewayService },
      homeDir: options.dir,
      env: {
        ...common,
        REDIS_URL: infra.redisUrl,
        INTERNAL_TOKEN_PRIVATE_KEY: options.keys.privateKey,
        SWITCHYARD_DATA_DIR: join(options.dir, 'gateway'),
        SWITCHYARD_SERVICE_URL_TEMPLATE: `http://127.0.0.1:${(mesh.address() as AddressInfo).port}`,
      },
    })
    started.push(gateway)
    return { url: listenerUrl(gateway), apiKey: owner.key, orgId: owner.orgId, close }
  } catch (error) {
    await close()
    throw error
  }
}
