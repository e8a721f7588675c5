import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Identity, ServiceName } from '@switchyard/contracts'
import type { InternalTokenVerifier } from '@switchyard/kit'

/** One request as a stand-in received it. */
export interface ReceivedRequest {
  service: ServiceName
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The identity in the internal token it carried, or null when it did not verify. */
  identity: Identity | null
}

/** How a stand-in answers one request; the default echoes what it received as JSON. */
export type StandInHandler = (request: ReceivedRequest, res: ServerResponse) => void | Promise<void>

export interface HttpStandIn {
  service: ServiceName
  url: string
  received: ReceivedRequest[]
  /** Answers the next requests with `handler` (until set again; null: echo). */
  answer(handler: StandInHandler | null): void
  close(): Promise<void>
}

/**
 * A service that is not under test, on a real loopback port, for a service under test that reaches
 * its peers over HTTP (a single target): records each request and the identity its internal token
 * carries, then answers.
 */
export async function startHttpStandIn(
  service: ServiceName,
  verifier: InternalTokenVerifier,
): Promise<HttpStandIn> {
  const received: ReceivedRequest[] = []
  let handler: StandInHandler | null = null
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const identity = token ? await verifier.verify(token).catch(() => null) : null
    const request: ReceivedRequest = {
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
export function echo(request: ReceivedRequest, res: ServerResponse): void {
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

/** The URL of a port nothing listens on (it was free a moment ago): a peer that is down. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}
