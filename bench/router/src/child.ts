// The child side of a benchmark process: start something, report its URL to the parent over IPC,
// tell the CPU time it has used when asked, close it when the parent says so (or goes away).

/** Runs `start`, sends `{ url }` to the parent, and calls the returned close on 'close' or disconnect. */
export async function serveChild(
  start: () => Promise<{ url: string; close(): Promise<void> }>,
): Promise<void> {
  const send = (message: unknown) => process.send?.(message)
  let started: Awaited<ReturnType<typeof start>>
  try {
    started = await start()
  } catch (error) {
    send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    process.exit(1)
  }
  let closing = false
  const close = async () => {
    if (closing) return
    closing = true
    try {
      await started.close()
    } finally {
      process.exit(0)
    }
  }
  process.on('message', (message) => {
    if (message === 'close') void close()
    if (message === 'cpu') send({ cpu: process.cpuUsage() })
  })
  process.on('disconnect', () => void close())
  send({ url: started.url })
}
