import type { AgentRunStatus, Identity } from '@switchyard/contracts'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { Agent } from '../agents/agent.ts'

/** A tool call of the last model turn that waits for a human. */
export interface PendingCall {
  callId: string
  name: string
  /** The arguments as the model sent them (JSON text). */
  arguments: string
  decision: 'approve' | 'reject' | null
  /** Replacement arguments given with an approval. */
  editedArguments?: Record<string, unknown>
  /** Why it was rejected, given to the model. */
  reason?: string
}

export interface RunError {
  code: string
  message: string
  type: string
}

/** One step of a planner's plan: a task for a delegate, carried out by a child run. */
export interface PlanStep {
  /** The delegate's name. */
  agent: string
  task: string
  /** Set before the child run is stored, so a resumed planner finds (or makes) the same child. */
  childRunId: string | null
  /** The child's end: succeeded, failed or cancelled; null until it ended. */
  status: AgentRunStatus | null
  output: string | null
  error: RunError | null
}

/** A planner's progress: plan (a model turn), steps (child runs, one at a time), review (the loop). */
export interface Plan {
  phase: 'plan' | 'steps' | 'review'
  /** The delegates as they were when the run started, instructions resolved. */
  delegates: Agent[]
  /** Empty until the model planned. */
  steps: PlanStep[]
}

/** A run as stored: enough for any replica to go on with it. */
export interface Run {
  id: string
  orgId: string
  identity: Identity
  agent: Agent
  /** The planner's run this run is a step of; null for a run someone started. */
  parentRunId: string | null
  threadId: string | null
  status: AgentRunStatus
  route: Record<string, unknown> | null
  messages: ChatCompletionMessageParam[]
  pending: PendingCall[]
  /** Set for a planner (an agent with delegates), null otherwise. */
  plan: Plan | null
  turns: number
  inputTokens: number
  outputTokens: number
  elapsedMs: number
  output: string | null
  error: RunError | null
  /** Epoch milliseconds. */
  createdAt: number
  finishedAt: number | null
}

export const finishedStatuses: readonly AgentRunStatus[] = ['succeeded', 'failed', 'cancelled']

/** The public view of a run (snake_case, seconds). */
export const toRunView = (run: Run) => ({
  id: run.id,
  object: 'agent.run' as const,
  created_at: Math.floor(run.createdAt / 1000),
  agent_id: run.agent.id,
  parent_run_id: run.parentRunId,
  thread_id: run.threadId,
  status: run.status,
  route: run.route,
  output: run.output,
  error: run.error,
  pending_approvals: run.pending
    .filter((p) => p.decision === null)
    .map((p) => ({ call_id: p.callId, name: p.name, arguments: p.arguments })),
  plan:
    run.plan === null
      ? null
      : {
          phase: run.plan.phase,
          steps: run.plan.steps.map((s) => ({
            agent: s.agent,
            task: s.task,
            child_run_id: s.childRunId,
            status: s.status,
          })),
        },
  turns: run.turns,
  usage: {
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    total_tokens: run.inputTokens + run.outputTokens,
  },
  finished_at: run.finishedAt === null ? null : Math.floor(run.finishedAt / 1000),
})
