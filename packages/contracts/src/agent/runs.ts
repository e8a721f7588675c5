import { type Static, Type } from 'typebox'
import { AgentRunStatus } from '../events/agent-runs.ts'

/**
 * The parts of agent's answers its callers read. Objects accept more fields than listed: agent
 * may add fields without breaking a caller, and a caller depends only on what it names.
 */

/** `GET /v1/agents/{id or name}`: who the agent is. */
export const AgentSummary = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent'),
  name: Type.String(),
  description: Type.String(),
  /** The router alias its model turns use. */
  model: Type.String(),
})
export type AgentSummary = Static<typeof AgentSummary>

/** A tool call the run waits on before it goes on (`POST /v1/runs/{id}/approvals/{call_id}`). */
export const PendingApproval = Type.Object({
  call_id: Type.String(),
  name: Type.String(),
  /** The arguments as the model sent them (JSON text). */
  arguments: Type.String(),
})
export type PendingApproval = Static<typeof PendingApproval>

/** A run as agent answers it (`POST .../runs`, `GET /v1/runs/{id}`). */
export const AgentRunView = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent.run'),
  agent_id: Type.String(),
  /** The run this one follows up, or null. */
  thread_id: Type.Union([Type.String(), Type.Null()]),
  status: AgentRunStatus,
  output: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), type: Type.String() }),
    Type.Null(),
  ]),
  pending_approvals: Type.Array(PendingApproval),
  usage: Type.Object({ input_tokens: Type.Integer(), output_tokens: Type.Integer() }),
})
export type AgentRunView = Static<typeof AgentRunView>

/** The body of `POST /v1/agents/{id}/runs` and `POST /v1/runs`. */
export interface AgentRunRequest {
  /** The user's message. */
  input: string
  /** A previous run this one follows: its conversation goes on (and, through the supervisor, its agent). */
  thread_id?: string
  /** Answer at once with the started run; its events are read from `/v1/runs/{id}/events`. */
  background?: boolean
}

/**
 * One event of a run's log (`GET /v1/runs/{id}/events`): `run.start`, `route`, `step`, `tool.call`,
 * `tool.result`, `message.delta`, `approval.required`, `usage`, `done`, `error`.
 */
export interface AgentRunEvent {
  /** 1, 2, 3... in the run: resume after it with `afterSeq`. */
  seq: number
  event: string
  data: Record<string, unknown>
}
