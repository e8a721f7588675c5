import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

/** A request a test server saw. */
export interface Hit {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/**
 * An HTTP server on a loopback address of the test's choice (127.0.0.2 is not 127.0.0.1, so one
 * can be trusted and the other not), recording what it receives; closed when the test ends.
 */
export async function localServer(
  host: string,
  answer: (hit: Hit, res: Parameters<RequestListener>[1]) => void,
): Promise<{ port: number; origin: string; hits: Hit[] }> {
  const hits: Hit[] = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
    hits.push(hit)
    answer(hit, res)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return { port, origin: `http://${host}:${port}`, hits }
}
