// The router: its real plugin through the runtime's start(), as `switchyard start` builds it.
//   one-process (default): target all with only the router, memory state and the in-process bus;
//     the router's own server listens on a port of its own (in that shape only the gateway's
//     would, and there is no gateway here).
//   single: `--target=llm-router` on Redis (REDIS_URL) and Kafka (KAFKA_BROKERS), as in a pod.
// argv: shape, then the env for start() as JSON.
import type { AddressInfo } from 'node:net'
import { llmRouterService } from '@switchyard/llm-router'
import { start } from '@switchyard/runtime'
import { serveChild } from './child.ts'

const shape = process.argv[2] === 'single' ? 'single' : 'one-process'
const env = JSON.parse(process.argv[3] ?? '{}') as Record<string, string>

await serveChild(async () => {
  const switchyard = await start({
    ...(shape === 'single' && { target: 'llm-router' }),
    listen: true,
    services: { 'llm-router': llmRouterService },
    env,
  })
  if (shape === 'single') return { url: switchyard.url, close: () => switchyard.close() }
  const router = switchyard.apps['llm-router']
  if (router === undefined) throw new Error('the runtime did not start the llm-router')
  await router.listen({ host: '127.0.0.1', port: 0 })
  const { port } = router.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => switchyard.close() }
})
