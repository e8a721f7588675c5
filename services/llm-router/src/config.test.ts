import { ConfigError, loadConfig } from '@switchyard/config'
import { expect, test } from 'vitest'
import { LlmRouterConfig } from './config.ts'

test('the service config loads from the environment with its defaults; an inline catalog is JSON', () => {
  const config = loadConfig(LlmRouterConfig, {
    LLM_ROUTER_MODELS: '{"models":{"m":{"deployments":[]}}}',
    LLM_ROUTER_METRICS_ORGS: 'org_a,org_b',
    LLM_ROUTER_PROBE_INTERVAL_MS: '30s',
  })
  expect(config).toEqual({
    LLM_ROUTER_MODELS: { models: { m: { deployments: [] } } },
    LLM_ROUTER_METRICS_ORGS: ['org_a', 'org_b'],
    LLM_ROUTER_HEALTH_SYNC_MS: 1_000,
    LLM_ROUTER_PROBE_INTERVAL_MS: 30_000,
    // The fallback model when no catalog is named: the one `scripts/fetch-model.sh smollm2` fetches.
    LLM_ROUTER_LOCAL_MODEL: expect.stringMatching(/smollm2-135m-instruct-q4_1\.gguf$/),
    LLM_ROUTER_LOCAL_EMBEDDING_MODEL: expect.stringMatching(/all-minilm-l6-v2-q8_0\.gguf$/),
  })
})

test('a health sync faster than 50 ms is refused at start', () => {
  expect(() => loadConfig(LlmRouterConfig, { LLM_ROUTER_HEALTH_SYNC_MS: '10ms' })).toThrow(ConfigError)
})
