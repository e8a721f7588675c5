import { defineService } from '@switchyard/kit'
import { LlmRouterConfig } from './config.ts'
import { llmRouterPlugin } from './plugin.ts'

export const llmRouterService = defineService({
  name: 'llm-router',
  configSchema: LlmRouterConfig,
  // It calls upstream model servers, no other service.
  calls: [],
  // bus: llm.usage.v1 events; state: deployment cooldowns shared by replicas.
  needs: ['bus', 'state'],
  plugin: llmRouterPlugin,
})
