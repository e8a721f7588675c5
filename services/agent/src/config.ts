import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'
import { SupervisorConfig } from './supervisor/config.ts'
import { ToolsConfig } from './tools/config.ts'

export const AgentConfig = Type.Object({
  ...ToolsConfig.properties,
  /** A YAML file of the deployment's built-in agents, visible to every org (unset: none). */
  AGENT_BUILTIN_AGENTS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** An agent's model when it names none: an llm-router alias (default: its local one). */
  AGENT_DEFAULT_MODEL: Type.String({ minLength: 1, default: 'local' }),
  /** Tool calls of one model turn that run at the same time; the rest wait. */
  AGENT_TOOL_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 32, default: 4 }),
  /** Finished runs older than this are deleted with their steps and events (0: kept forever). */
  AGENT_RUN_RETENTION: Duration({ default: '30d', minimum: 0 }),
  /** Events a run's log keeps (the oldest go first). */
  AGENT_STREAM_MAX_EVENTS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** How long a run's event log lives after its last event (a paused run's reconnect needs it). */
  AGENT_STREAM_TTL_MS: Duration({ default: '24h', minimum: 1000 }),
  /**
   * A running run's lease: the replica running it renews it (every third of this); a run not
   * renewed this long (its replica died) is claimed and resumed by another replica.
   */
  AGENT_RUN_LEASE: Duration({ default: '30s', minimum: 1000 }),
  /** How often the retention sweep runs. */
  AGENT_RETENTION_INTERVAL: Duration({ default: '1h', minimum: 1000 }),
  // The supervisor's thresholds and models (src/supervisor/config.ts).
  ...SupervisorConfig.properties,
})
export type AgentConfig = Static<typeof AgentConfig>
