import type { AgentRunStatus } from '@switchyard/contracts'
import { agentRunsV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { ToolSource } from '../tools/tool.ts'
import { RunEventWriter, type RunLogLimits } from './events.ts'
import { runLoop } from './loop.ts'
import type { AbortReason, ChildRunner, LoopDeps, LoopOutcome } from './progress.ts'
import type { Lease } from './repository.ts'
import { finishedStatuses, type Run } from './run.ts'

/** Set by a cancel on any replica; the replica running the loop polls it. */
export const cancelKey = (runId: string) => `agent:cancel:${runId}`
const CANCEL_POLL_MS = 200

export interface RunnerOptions extends LoopDeps {
  /** A lease's length: renewed every third of it, and runs whose lease ran out are claimed as often. */
  leaseMs: number
  state: SharedState
  bus: EventBus
  tools: ToolSource
  logLimits: RunLogLimits
  logger: Logger
}

interface Running {
  controller: AbortController
  done: Promise<void>
}

/**
 * Runs loops detached from the requests that started them: a client that leaves stops nothing.
 * A cancel sets a flag in the shared state, which the replica running the loop polls (every
 * CANCEL_POLL_MS) and turns into an abort of the model call in flight. A run paused for approval
 * holds no memory here: the approval that completes it starts `resume` on whichever replica got it.
 */
export class Runner {
  readonly #o: RunnerOptions
  readonly #running = new Map<string, Running>()
  readonly #poll: NodeJS.Timeout
  readonly #leases: NodeJS.Timeout
  #closed = false
  #tending = false

  constructor(options: RunnerOptions) {
    this.#o = options
    this.#poll = setInterval(() => this.#checkCancels(), CANCEL_POLL_MS)
    this.#poll.unref()
    this.#leases = setInterval(() => {
      this.tendLeases().catch((err: unknown) => options.logger.warn({ err }, 'run leases not tended'))
    }, options.leaseMs / 3)
    this.#leases.unref()
  }

  /** A lease on a run for this replica, from now: whoever sets a run running hands it one. */
  lease(): Lease {
    return this.#o.lease()
  }

  /**
   * Renews the leases of the runs running here, then claims runs whose lease ran out (their
   * replica died mid-turn) and resumes them here from their saved state; the row locks let one
   * replica claim each. A run here whose lease another replica took (this one stalled past it)
   * stops here: it goes on there. The turn a dead replica was in runs again, tool calls included.
   */
  async tendLeases(): Promise<void> {
    // One at a time: a slow pass (a busy database) must not overlap the next.
    if (this.#tending) return
    this.#tending = true
    try {
      await this.#tendLeases()
    } finally {
      this.#tending = false
    }
  }

  async #tendLeases(): Promise<void> {
    const o = this.#o
    const here = [...this.#running.entries()]
    const mine = await o.repo.renew(
      here.map(([id]) => id),
      o.lease().owner,
      o.lease().expiresAt,
    )
    const lost = here.filter(([id]) => !mine.has(id))
    for (const [, r] of lost) r.controller.abort('shutdown' satisfies AbortReason)
    await Promise.all(lost.map(([, r]) => r.done))
    if (this.#closed) return
    // Never a run running here: a lease of ours that lapsed (a stall) is renewed next time.
    const claimed = await o.repo.claimExpired(o.lease(), o.now(), 10, [...this.#running.keys()])
    for (const run of claimed) {
      o.logger.info({ runId: run.id }, 'run resumed: its lease ran out where it ran')
      await this.resume(run)
    }
  }

  /** Starts a stored run (status running) with its writer; resolves at once. */
  start(run: Run, events: RunEventWriter): void {
    this.#launch(run, events)
  }

  /** Goes on with a run an approval just completed (status running again, decisions in `pending`). */
  async resume(run: Run): Promise<void> {
    const events = await RunEventWriter.resume(this.#o.state, run.id, this.#o.logLimits, this.#o.logger)
    this.#launch(run, events)
  }

  /** Asks the run's loop to stop, wherever it runs. */
  async cancel(runId: string): Promise<void> {
    await this.#o.state.values.set(cancelKey(runId), '1', 3_600_000)
    this.#running.get(runId)?.controller.abort('cancel' satisfies AbortReason)
  }

  /** Resolves once the run's loop here has ended (at once if it does not run here). */
  async settled(runId: string): Promise<void> {
    await this.#running.get(runId)?.done
  }

  /**
   * Shutdown: loops still running stop where they are (state saved; the run stays `running`) and
   * their leases end now, so another replica's next sweep resumes them.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#poll)
    clearInterval(this.#leases)
    const running = [...this.#running.entries()]
    for (const [, r] of running) r.controller.abort('shutdown' satisfies AbortReason)
    await Promise.all(running.map(([, r]) => r.done))
    const o = this.#o
    await o.repo
      .renew(
        running.map(([id]) => id),
        o.lease().owner,
        o.now(),
      )
      .catch((err: unknown) => o.logger.warn({ err }, 'run leases not released'))
  }

  #launch(run: Run, events: RunEventWriter): void {
    const o = this.#o
    const controller = new AbortController()
    const startedAt = o.now()
    const left = run.agent.limits.max_wall_time_ms - run.elapsedMs
    const deadline = setTimeout(() => controller.abort('timeout' satisfies AbortReason), Math.max(0, left))
    const running: Running = { controller, done: Promise.resolve() }
    this.#running.set(run.id, running)
    running.done = (async () => {
      let outcome: AgentRunStatus = 'failed'
      try {
        const tools = await this.#toolsOf(run, controller.signal)
        outcome = await runLoop(
          { run, tools, events, signal: controller.signal, startedAt, children: this.#runChild },
          o,
        )
      } catch (err) {
        o.logger.error({ err, runId: run.id }, 'run failed to settle')
      } finally {
        clearTimeout(deadline)
        // A claim may have launched the run again here since: that entry stays.
        if (this.#running.get(run.id) === running) this.#running.delete(run.id)
      }
      if (outcome !== 'running' && outcome !== 'awaiting_approval') {
        await o.state.values.del(cancelKey(run.id)).catch(() => {})
      }
      // A shutdown leaves the run as it was: nothing changed status.
      if (outcome === 'running') return
      const final = await o.repo.get(run.orgId, run.id).catch(() => null)
      await publishRun(o.bus, o.logger, final ?? { ...run, status: outcome }, o.now())
    })()
  }

  /**
   * A planner's step, inside the planner's loop (its signal: a cancel, shutdown or the planner's
   * time limit stops the child too), with a deadline of its own.
   */
  readonly #runChild: ChildRunner = async (child, signal, fresh) => {
    const o = this.#o
    const events = await RunEventWriter.resume(o.state, child.id, o.logLimits, o.logger)
    if (fresh) {
      await events.append('run.start', {
        runId: child.id,
        agentId: child.agent.id,
        agentName: child.agent.name,
        model: child.agent.model,
        parentRunId: child.parentRunId,
      })
      await publishRun(o.bus, o.logger, child, o.now())
    }
    const deadline = new AbortController()
    const left = child.agent.limits.max_wall_time_ms - child.elapsedMs
    const timer = setTimeout(() => deadline.abort('timeout' satisfies AbortReason), Math.max(0, left))
    const childSignal = AbortSignal.any([signal, deadline.signal])
    let outcome: LoopOutcome
    try {
      const tools = await this.#toolsOf(child, childSignal)
      outcome = await runLoop({ run: child, tools, events, signal: childSignal, startedAt: o.now() }, o)
    } finally {
      clearTimeout(timer)
    }
    if (outcome !== 'running') {
      const final = await o.repo.get(child.orgId, child.id).catch(() => null)
      await publishRun(o.bus, o.logger, final ?? { ...child, status: outcome }, o.now())
    }
    return outcome
  }

  /** The run's tools, by name: those its agent names. */
  async #toolsOf(run: Run, signal: AbortSignal) {
    const all = await this.#o.tools.tools(run.orgId, signal)
    return new Map(all.filter((t) => run.agent.tools.includes(t.name)).map((t) => [t.name, t]))
  }

  #checkCancels(): void {
    for (const [runId, running] of this.#running) {
      this.#o.state.values.get(cancelKey(runId)).then(
        (flag) => {
          if (flag !== null) running.controller.abort('cancel' satisfies AbortReason)
        },
        () => {},
      )
    }
  }
}

/**
 * `agent.runs.v1`: a run changed status (metadata only, no text); its last one carries its usage.
 * A failed publish is logged.
 */
export async function publishRun(bus: EventBus, logger: Logger, run: Run, nowMs: number) {
  await bus
    .publish(agentRunsV1, run.id, {
      orgId: run.orgId,
      userId: run.identity.userId,
      runId: run.id,
      agentId: run.agent.id,
      parentRunId: run.parentRunId,
      status: run.status,
      steps: run.turns,
      errorCode: run.error?.code ?? null,
      ...(finishedStatuses.includes(run.status) && {
        usage: {
          inputTokens: run.inputTokens,
          outputTokens: run.outputTokens,
          totalTokens: run.inputTokens + run.outputTokens,
        },
      }),
      occurredAt: new Date(nowMs).toISOString(),
    })
    .catch((err: unknown) => logger.warn({ err, runId: run.id }, 'agent.runs.v1 not published'))
}
