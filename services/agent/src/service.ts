import { fileURLToPath } from 'node:url'
import { defineService } from '@switchyard/kit'
import { AgentConfig } from './config.ts'
import { agentPlugin } from './plugin.ts'

export const agentService = defineService({
  name: 'agent',
  configSchema: AgentConfig,
  // llm-router: every model turn and the supervisor's embeddings, with the caller's identity;
  // rag: the rag_search tool; admin: prompt references (name@label) in instructions.
  calls: ['llm-router', 'rag', 'admin'],
  // sql: agents, runs, steps; state: run event logs (resumable SSE) and cancel flags;
  // bus: agent.runs.v1 out, cancels to the replica running a loop.
  needs: ['sql', 'state', 'bus'],
  // A run outlives its request (approvals, disconnects): its model calls carry worker tokens.
  signsWorkerTokens: true,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  plugin: agentPlugin,
})
