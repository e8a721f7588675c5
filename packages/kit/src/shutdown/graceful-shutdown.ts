import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { kitErrors } from '../errors/errors.ts'
import type { StreamTracker } from '../streaming/event-stream.ts'

/**
 * What `app.close()` does, in order (Fastify first stops routing new work, then runs preClose,
 * then closes the listener, which waits for the connections still open):
 * 1. requests that still arrive answer 503 KIT_ERR_SHUTTING_DOWN with `Connection: close`;
 * 2. every open event stream is told to finish and gets up to `graceMs` to do so;
 * 3. `graceMs` after the start, whatever is still open (streams, slow requests) is destroyed.
 */
export function installShutdownDrain(app: FastifyInstance, tracker: StreamTracker, graceMs: number): void {
  let draining = false
  let deadline: NodeJS.Timeout | undefined

  app.addHook('onRequest', (_request, reply, done) => {
    if (!draining) return done()
    reply.header('connection', 'close')
    done(new kitErrors.ShuttingDown())
  })
  // A keep-alive connection that finishes a response during the drain must not linger idle.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })

  app.addHook('preClose', async () => {
    draining = true
    deadline = setTimeout(() => app.server.closeAllConnections(), graceMs)
    deadline.unref()
    await tracker.drain(graceMs)
  })
  app.addHook('onClose', async () => {
    clearTimeout(deadline)
  })
}

export interface GracefulShutdownOptions {
  /**
   * Milliseconds after a signal before the process exits regardless; give it more than the
   * server's `shutdownGraceMs` so the drain can finish. Default: 15 000.
   */
  graceMs?: number
}

/**
 * SIGINT/SIGTERM (and an uncaught error) close the server gracefully, then the process exits.
 * Backends the runtime opened close in the app's onClose hooks. Returns an uninstall handle.
 */
export function installGracefulShutdown(
  app: FastifyInstance,
  options: GracefulShutdownOptions = {},
): { uninstall(): void } {
  const handle = closeWithGrace(
    { delay: options.graceMs ?? 15_000, logger: app.log },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'closing after an uncaught error')
      else app.log.info({ signal }, 'closing')
      await app.close()
    },
  )
  return { uninstall: () => handle.uninstall() }
}
