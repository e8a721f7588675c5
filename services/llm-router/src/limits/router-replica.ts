// One llm-router replica in a process of its own, started as a pod starts it: the runtime's
// `start --target=llm-router`, configured by its environment alone, closed gracefully by SIGTERM.
// two-routers.int.test.ts forks two of these. Once listening it tells the parent `{ url }` over
// IPC (or `{ error }` if it could not start); if the parent goes away, it closes as on SIGTERM.
import { start } from '@switchyard/runtime'
import { llmRouterService } from '../service.ts'

export type ReplicaMessage = { url: string } | { error: string }

try {
  const replica = await start({
    target: 'llm-router',
    listen: true,
    services: { 'llm-router': llmRouterService },
    env: process.env,
    handleSignals: true,
  })
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  process.send?.({ url: replica.url } satisfies ReplicaMessage)
} catch (error) {
  const message: ReplicaMessage = {
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }
  // Exit only once the parent has the reason, or it would see just an exit code.
  if (process.send) process.send(message, () => process.exit(1))
  else process.exit(1)
}
