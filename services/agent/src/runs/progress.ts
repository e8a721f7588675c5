import type { Identity } from '@switchyard/contracts'
import type OpenAI from 'openai'
import type { Logger } from 'pino'
import type { Tool } from '../tools/tool.ts'
import type { RunEventWriter } from './events.ts'
import type { Lease, RunProgress, RunsRepository, StepType } from './repository.ts'
import type { Run, RunError } from './run.ts'

/** Stable codes of a run's `error` event and stored error. */
export const runErrorCodes = {
  turnLimit: 'AGENT_RUN_TURN_LIMIT',
  tokenLimit: 'AGENT_RUN_TOKEN_LIMIT',
  timeLimit: 'AGENT_RUN_TIME_LIMIT',
  interrupted: 'AGENT_RUN_INTERRUPTED',
  model: 'AGENT_RUN_MODEL_ERROR',
  unknownTool: 'AGENT_RUN_UNKNOWN_TOOL',
} as const

/** Why a run's controller aborted. */
export type AbortReason = 'cancel' | 'timeout' | 'shutdown'

export interface LoopDeps {
  repo: RunsRepository
  logger: Logger
  /** An `openai` client for the llm-router, acting with `token`. */
  llm(token: string): OpenAI
  /** A worker token for the caller: every model call and tool carries their identity. */
  sign(identity: Identity): Promise<string>
  /** Tool calls of one turn that run at once. */
  concurrency: number
  now: () => number
  /** This replica's lease on the runs it runs (a new one from now): its saves need it. */
  lease(): Lease
}

/** How a stretch of the loop ended: the run's status then. */
export type LoopOutcome = RunProgress['status']

/** Runs a planner's child run on this replica until it ends or pauses (`fresh`: it just started). */
export type ChildRunner = (child: Run, signal: AbortSignal, fresh: boolean) => Promise<LoopOutcome>

export interface LoopContext {
  run: Run
  /** The run's tools, by name (only those the agent names). */
  tools: Map<string, Tool>
  events: RunEventWriter
  /** Aborts with an AbortReason: cancel, wall time, shutdown. */
  signal: AbortSignal
  /** When this stretch of running started (epoch ms), for the wall time used. */
  startedAt: number
  /** How a planner's steps run (absent: the run may not delegate). */
  children?: ChildRunner
}

/** A stretch of the loop's bookkeeping: the run's progress, and how it is saved, logged and ended. */
export interface Progress {
  state: RunProgress
  /** Stores the progress (only while the run is `running`); false when a cancel got there first. */
  save(): Promise<boolean>
  /** Stores a step and logs it as a `step` event. */
  step(type: StepType, data: Record<string, unknown>): Promise<void>
  /** The run's end when it reached its turn or token limit; null while within both. */
  limitReached(): Promise<LoopOutcome> | null
  fail(error: RunError): Promise<LoopOutcome>
  /** Stores the end the state holds and logs `usage` and `done` (or `error`). */
  finish(): Promise<LoopOutcome>
  /** The end an abort means: cancelled, the time limit, or (shutdown) left running, saved. */
  aborted(): Promise<LoopOutcome>
}

export async function trackProgress(ctx: LoopContext, deps: LoopDeps): Promise<Progress> {
  const { run, events } = ctx
  const limits = run.agent.limits
  const state: RunProgress = {
    status: 'running',
    messages: run.messages,
    pending: run.pending,
    plan: run.plan,
    turns: run.turns,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
    elapsedMs: run.elapsedMs,
    output: null,
    error: null,
  }
  let stepSeq = (await deps.repo.steps(run.orgId, run.id)).length
  const save = async (): Promise<boolean> => {
    state.elapsedMs = run.elapsedMs + (deps.now() - ctx.startedAt)
    return deps.repo.save(run, state, deps.now(), { owner: deps.lease().owner })
  }
  const fail = async (error: RunError): Promise<LoopOutcome> => {
    state.status = 'failed'
    state.error = error
    return finish()
  }
  const finish = async (): Promise<LoopOutcome> => {
    if (!(await save())) return 'cancelled'
    void events.append('usage', {
      runId: run.id,
      inputTokens: state.inputTokens,
      outputTokens: state.outputTokens,
      totalTokens: state.inputTokens + state.outputTokens,
    })
    await (state.error === null
      ? events.append('done', { runId: run.id, status: state.status, output: state.output })
      : events.append('error', { runId: run.id, error: state.error }))
    return state.status
  }
  return {
    state,
    save,
    fail,
    finish,
    async step(type, data) {
      stepSeq++
      await deps.repo.addStep(run, stepSeq, type, data, deps.now())
      void events.append('step', { runId: run.id, seq: stepSeq, type, ...data })
    },
    limitReached() {
      if (state.turns >= limits.max_turns) {
        return fail({
          code: runErrorCodes.turnLimit,
          type: 'limit',
          message: `The run reached its limit of ${limits.max_turns} turns`,
        })
      }
      const spent = state.inputTokens + state.outputTokens
      if (spent >= limits.max_total_tokens) {
        return fail({
          code: runErrorCodes.tokenLimit,
          type: 'limit',
          message: `The run used ${spent} of ${limits.max_total_tokens} tokens`,
        })
      }
      return null
    },
    async aborted() {
      const reason = ctx.signal.reason as AbortReason
      if (reason === 'cancel') {
        state.status = 'cancelled'
        return finish()
      }
      if (reason === 'timeout') {
        return fail({
          code: runErrorCodes.timeLimit,
          type: 'limit',
          message: `The run took longer than ${limits.max_wall_time_ms} ms`,
        })
      }
      // Shutdown: the run stays `running` with its last step saved; see the runner.
      await save()
      return 'running'
    },
  }
}
