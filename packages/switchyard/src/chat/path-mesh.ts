// The network between single targets, for tests that run several: one address every target uses as
// its peers' URL (SWITCHYARD_SERVICE_URL_TEMPLATE without `{name}`), which passes each request on
// to the service that serves its path, as a service mesh would by host name. Streams pass through
// as they come, and a caller that leaves closes the request it made.
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServiceName } from '@switchyard/contracts'

/** Which service serves a path: the gateway's public routes, and admin's internal ones. */
const owners: readonly [prefix: string, service: ServiceName][] = [
  ['/v1/chat/completions', 'llm-router'],
  ['/v1/embeddings', 'llm-router'],
  ['/v1/models', 'llm-router'],
  ['/v1/conversations', 'chat'],
  ['/v1/agents', 'agent'],
  ['/v1/runs', 'agent'],
  ['/v1/files', 'rag'],
  ['/v1/vector_stores', 'rag'],
  ['/v1/prompts', 'admin'],
  ['/admin/', 'admin'],
]

export interface PathMesh {
  /** `http://127.0.0.1:PORT`: every target's peer URL. */
  url: string
  /** Where `service` listens, once it does; until then its paths answer 503. */
  set(service: ServiceName, url: string): void
  close(): Promise<void>
}

export async function startPathMesh(): Promise<PathMesh> {
  const listeners = new Map<ServiceName, string>()
  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    const service = owners.find(([prefix]) => path.startsWith(prefix))?.[1]
    const target = service === undefined ? undefined : listeners.get(service)
    if (target === undefined) {
      res.writeHead(503).end()
      return
    }
    const forwarded = request(
      new URL(path, target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forwarded.on('error', () => res.destroy())
    res.on('close', () => forwarded.destroy())
    req.pipe(forwarded)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    set: (service, url) => listeners.set(service, url),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
