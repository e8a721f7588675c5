import { scopes } from '@switchyard/contracts'
import { type KitServer, openEventStream } from '@switchyard/kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AgentParams } from '../agents/schemas.ts'
import { agentErrors } from '../errors.ts'
import { listOf } from '../list.ts'
import { endsStream, type RunEvent, RunEventWriter, tailRunLog } from './events.ts'
import type { Run } from './run.ts'
import { finishedStatuses, toRunView } from './run.ts'
import { publishRun } from './runner.ts'
import {
  AgentRunCreate,
  ApprovalDecision,
  ApprovalParams,
  RunEventsQuery,
  RunList,
  RunListQuery,
  RunParams,
  RunView,
  RunWithSteps,
  SupervisedRunCreate,
} from './schemas.ts'
import { type StartDeps, type StartRequest, startRun } from './start.ts'

/** Runs spend through the router and read like conversations: chat's scopes, and llm:use to start. */
const readScopes = [scopes.chatRead]
const writeScopes = [scopes.chatWrite, scopes.llmUse]

/** How long one read of the log waits before checking the run is still going, milliseconds. */
const TAIL_WAIT_MS = 1_000

export function runRoutes(app: KitServer, deps: StartDeps): void {
  const { repo, runner } = deps

  const requireRun = async (orgId: string, id: string): Promise<Run> => {
    const run = await repo.get(orgId, id)
    if (run === null) throw new agentErrors.RunNotFound(id)
    return run
  }

  /** A run that ended or paused elsewhere, or whose replica died, lets a waiting reader go. */
  const settled = (orgId: string, runId: string) => async () => {
    const run = await repo.get(orgId, runId)
    return run === null || run.status !== 'running'
  }

  /** Streams the run's events after `afterSeq`; the run goes on when the client leaves. */
  const stream = async (request: FastifyRequest, reply: FastifyReply, run: Run, afterSeq: number) => {
    const sse = openEventStream(request, reply, { headers: { 'x-agent-run-id': run.id } })
    await tailRunLog({
      state: deps.state,
      runId: run.id,
      afterSeq,
      waitMs: TAIL_WAIT_MS,
      stopped: () => sse.stopReason === 'disconnect' || sse.closed,
      settled: settled(run.orgId, run.id),
      send: (event: RunEvent) =>
        sse.send({ id: `${run.id}:${event.seq}`, event: event.event, data: event.data }),
    })
    sse.close()
    return reply
  }

  /** Waits (reading the log, as a client would) until the run ends or pauses, then answers it. */
  const awaitRest = async (run: Run) => {
    let over = false
    await tailRunLog({
      state: deps.state,
      runId: run.id,
      afterSeq: 0,
      waitMs: TAIL_WAIT_MS,
      stopped: () => over,
      settled: settled(run.orgId, run.id),
      send: (event) => {
        if (endsStream(event)) over = true
      },
    })
    return toRunView(await requireRun(run.orgId, run.id))
  }

  const respond = async (
    request: FastifyRequest,
    reply: FastifyReply,
    body: { stream: boolean; background: boolean },
    start: StartRequest,
  ) => {
    const run = await startRun(start, deps)
    if (body.stream) return stream(request, reply, run, 0)
    if (body.background || finishedStatuses.includes(run.status)) return toRunView(run)
    return awaitRest(run)
  }

  app.post(
    '/v1/agents/:agent_id/runs',
    {
      config: { scopes: writeScopes },
      schema: {
        summary: 'Run an agent (SSE with stream: true)',
        params: AgentParams,
        body: AgentRunCreate,
        response: { 200: RunView },
      },
    },
    async (request, reply) =>
      respond(request, reply, request.body, {
        identity: request.identity,
        token: request.internalToken,
        input: request.body.input,
        threadId: request.body.thread_id,
        agentId: request.params.agent_id,
      }),
  )

  app.post(
    '/v1/runs',
    {
      config: { scopes: writeScopes },
      schema: {
        summary: 'Run a message through the supervisor (or the agent named)',
        body: SupervisedRunCreate,
        response: { 200: RunView },
      },
    },
    async (request, reply) =>
      respond(request, reply, request.body, {
        identity: request.identity,
        token: request.internalToken,
        input: request.body.input,
        threadId: request.body.thread_id,
        requestedAgent: request.body.agent,
      }),
  )

  app.get(
    '/v1/runs',
    {
      config: { scopes: readScopes },
      schema: {
        summary: "The org's runs, newest first",
        querystring: RunListQuery,
        response: { 200: RunList },
      },
    },
    async (request) => {
      const { limit, after, agent_id } = request.query
      const rows = await repo.list(request.identity.orgId, {
        limit,
        ...(after !== undefined && { after }),
        ...(agent_id !== undefined && { agentId: agent_id }),
      })
      return listOf(rows.slice(0, limit).map(toRunView), rows.length > limit)
    },
  )

  app.get(
    '/v1/runs/:run_id',
    {
      config: { scopes: readScopes },
      schema: { summary: 'One run with its steps', params: RunParams, response: { 200: RunWithSteps } },
    },
    async (request) => {
      const run = await requireRun(request.identity.orgId, request.params.run_id)
      const steps = await repo.steps(run.orgId, run.id)
      const children = run.plan === null ? [] : await repo.children(run.orgId, run.id)
      return {
        ...toRunView(run),
        children: children.map(toRunView),
        steps: steps.map((s) => ({
          seq: s.seq,
          type: s.type,
          created_at: Math.floor(s.createdAt / 1000),
          data: s.data,
        })),
      }
    },
  )

  app.get(
    '/v1/runs/:run_id/events',
    {
      config: { scopes: readScopes },
      schema: {
        summary: "The run's events as SSE (resumable: Last-Event-ID)",
        params: RunParams,
        querystring: RunEventsQuery,
      },
    },
    async (request, reply) => {
      const run = await requireRun(request.identity.orgId, request.params.run_id)
      const last = request.query.after ?? request.headers['last-event-id']
      const lastId = Array.isArray(last) ? last[0] : last
      let afterSeq = 0
      if (lastId !== undefined) {
        const [runId, seq] = lastId.split(':')
        if (runId !== run.id || !/^\d+$/.test(seq ?? '')) {
          throw Object.assign(
            new agentErrors.InvalidRequest(`Last-Event-ID ${lastId} is not an event of run ${run.id}`),
            {
              param: 'Last-Event-ID',
            },
          )
        }
        afterSeq = Number(seq)
      }
      return stream(request, reply, run, afterSeq)
    },
  )

  app.post(
    '/v1/runs/:run_id/cancel',
    {
      config: { scopes: writeScopes },
      schema: { summary: 'Cancel a run, wherever it runs', params: RunParams, response: { 200: RunView } },
    },
    async (request) => {
      const { orgId } = request.identity
      const run = await requireRun(orgId, request.params.run_id)
      if (finishedStatuses.includes(run.status)) throw new agentErrors.RunStateConflict(run.id, run.status)
      // A planner's step stops with its whole tree: the plan cannot go on without it.
      const root = run.parentRunId === null ? run : await requireRun(orgId, run.parentRunId)
      const cancelled = await repo.cancelPaused(orgId, root.id, deps.now())
      if (cancelled.length > 0) {
        // Nothing runs them: their ends are logged and published here.
        for (const id of cancelled) {
          const events = await RunEventWriter.resume(deps.state, id, deps.logLimits, deps.logger)
          await events.append('done', { runId: id, status: 'cancelled', output: null })
          const ended = await repo.get(orgId, id)
          if (ended !== null) await publishRun(deps.bus, deps.logger, ended, deps.now())
        }
      } else {
        await runner.cancel(root.id)
        await runner.settled(root.id)
      }
      return toRunView(await requireRun(orgId, run.id))
    },
  )

  app.post(
    '/v1/runs/:run_id/approvals/:call_id',
    {
      config: { scopes: writeScopes },
      schema: {
        summary: 'Approve or reject a tool call the run waits on',
        params: ApprovalParams,
        body: ApprovalDecision,
        response: { 200: RunView },
      },
    },
    async (request) => {
      const { orgId } = request.identity
      const { run_id: runId, call_id: callId } = request.params
      const body = request.body
      const addressed = await requireRun(orgId, runId)
      // A planner's approval is its paused step's: the call waits in that child run.
      const waiting = addressed.plan?.steps.find((s) => s.status === null && s.childRunId !== null)
      const target = waiting?.childRunId ?? addressed.id
      const outcome = await repo.decide(
        orgId,
        target,
        callId,
        {
          decision: body.decision,
          ...(body.arguments !== undefined && { editedArguments: body.arguments }),
          ...(body.reason !== undefined && { reason: body.reason }),
        },
        deps.now(),
        runner.lease(),
      )
      if (outcome === 'not-found') throw new agentErrors.ApprovalNotFound(callId, runId)
      if (outcome === 'decided') throw new agentErrors.RunStateConflict(runId, `already decided on ${callId}`)
      const run = await requireRun(orgId, target)
      // Exactly one request sees 'resume' (the row lock): the run goes on here, whoever ran it before.
      // A child goes on inside its planner, which that request wakes (once, also a conditional update).
      if (outcome === 'resume') {
        if (run.parentRunId === null) await runner.resume(run)
        else if (await repo.wake(orgId, run.parentRunId, deps.now(), runner.lease())) {
          await runner.resume(await requireRun(orgId, run.parentRunId))
        }
      }
      return toRunView(await requireRun(orgId, runId))
    },
  )
}
