// Chat's single-target tests run the llm-router as a target of its own, as production does, in
// front of a fake upstream serving MODEL; both targets share the test's real Redis and Kafka.

import { join } from 'node:path'
import { llmRouterService } from '@switchyard/llm-router'
import { type Switchyard, start } from '@switchyard/runtime'
import { type FakeUpstream, getInfra, ignoreSharedAdminConfig } from '@switchyard/testing'
import { MODEL } from './chat-under-test.ts'

/** What every target of these tests shares: quiet, a port of its own, the test's token key. */
export function singleTargetEnv(internalTokenPublicKey: string): Record<string, string> {
  const infra = getInfra()
  return {
    SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    INTERNAL_TOKEN_PUBLIC_KEY: internalTokenPublicKey,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    SHUTDOWN_GRACE_MS: '1s',
  }
}

/** `start --target=llm-router` with MODEL routed to `upstream`; its data under `root/router`. */
export function startRouterTarget(
  root: string,
  upstream: FakeUpstream,
  env: Record<string, string>,
): Promise<Switchyard> {
  return start({
    target: 'llm-router',
    services: { 'llm-router': llmRouterService },
    homeDir: root,
    env: {
      ...env,
      SWITCHYARD_DATA_DIR: join(root, 'router'),
      ...ignoreSharedAdminConfig(),
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          [MODEL]: {
            deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: MODEL }],
          },
        },
      }),
    },
  })
}
