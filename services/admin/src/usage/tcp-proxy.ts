// A test fixture: a TCP proxy in front of a real server that a test can take away and bring back,
// so a client sees a real outage (refused connects, connections cut mid-query) without the shared
// server being stopped.
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface TcpProxy {
  readonly port: number
  /** Cuts every open connection and refuses new ones. */
  close(): Promise<void>
  /** Accepts connections again, on the same port. */
  open(): Promise<void>
  stop(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0

  const listen = async () => {
    const created = createServer((client) => {
      const upstream = connect(target.port, target.host)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject)
      created.listen(port, '127.0.0.1', () => resolve())
    })
    const address = created.address()
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address')
    port = address.port
    server = created
  }

  const close = async () => {
    const closing = server
    server = undefined
    if (!closing) return
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  await listen()
  return {
    get port() {
      return port
    },
    close,
    open: listen,
    stop: close,
  }
}
