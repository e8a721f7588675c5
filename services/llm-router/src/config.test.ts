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
  })
})

test('a health sync faster than 50 ms is refused at start', () => {
  expect(() => loadConfig(LlmRouterConfig, { LLM_ROUTER_HEALTH_SYNC_MS: '10ms' })).toThrow(ConfigError)
})
