import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

export const AgentRunStatus = Type.Enum([
  'queued',
  'running',
  'awaiting_approval',
  'succeeded',
  'failed',
  'cancelled',
])
export type AgentRunStatus = Static<typeof AgentRunStatus>

/** An agent run changed status. Producer: agent. Consumers: analytics, audit. */
export const AgentRunsV1 = Type.Object({
  orgId: OrgId,
  userId: Id,
  runId: Id,
  agentId: Id,
  /** The planner's run this run is a step of (absent or null: a run someone started). */
  parentRunId: Type.Optional(Type.Union([Id, Type.Null()])),
  status: AgentRunStatus,
  /** Steps (model calls and tool calls) completed so far. */
  steps: Type.Integer({ minimum: 0 }),
  /** Set when status is failed. */
  errorCode: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /**
   * Tokens of the whole run, on its last event only (succeeded, failed, cancelled), so summing
   * them counts each run once. A planner's include its children's: sum the runs without a parent.
   */
  usage: Type.Optional(
    Type.Object({
      inputTokens: Type.Integer({ minimum: 0 }),
      outputTokens: Type.Integer({ minimum: 0 }),
      totalTokens: Type.Integer({ minimum: 0 }),
    }),
  ),
  occurredAt: Timestamp,
})
export type AgentRunsV1 = Static<typeof AgentRunsV1>

/** Keyed by runId: a run's transitions arrive in order. */
export const agentRunsV1 = defineTopic('agent.runs.v1', AgentRunsV1)
