import type { Agent } from '../agents/agent.ts'
import { newId } from '../ids.ts'
import { compileSchema, describeErrors } from '../json-schema.ts'
import { describeModelError, modelTurn, type Turn } from './model-turn.ts'
import {
  type LoopContext,
  type LoopDeps,
  type LoopOutcome,
  type Progress,
  runErrorCodes,
} from './progress.ts'
import type { RunProgress } from './repository.ts'
import type { Plan, PlanStep, Run } from './run.ts'

/**
 * Hierarchical runs. An agent with delegates is a planner: its first model turn answers a plan
 * (JSON schema: steps, each a delegate and a task), each step then runs as a child run of that
 * delegate (its own row, steps and event log; one at a time, each seeing the results before it),
 * and the planner's loop composes the answer from the results (the review). Everything lives in
 * the planner's stored `plan`, written after every turn and step, so any replica resumes it.
 *
 * Limits cover the whole tree: each step counts as one of the planner's turns, a child may spend
 * only the tokens and wall time the planner has left (its own limits if smaller), and the
 * children's tokens count in the planner's usage. A child pausing for approval pauses the planner;
 * a cancel of either stops the tree. Delegation is one level deep: a child never plans.
 */

/** Steps one plan may have at most. */
const MAX_STEPS = 10

/** The planner's system prompt: its own instructions, then the delegates it hands steps to. */
export function plannerInstructions(own: string, delegates: Agent[]): string {
  const list = delegates.map((d) => `- ${d.name}: ${d.description || 'no description'}`).join('\n')
  return [
    own,
    'You plan and delegate. First answer with a plan in JSON: the steps, in order, each naming one ' +
      'of these agents and the task it should do (each agent sees the results of the steps before ' +
      'its own):',
    list,
    "You then get every step's result; answer the request with them.",
  ]
    .filter((part) => part !== '')
    .join('\n\n')
}

/** A planner's starting plan, its delegates snapshotted (instructions resolved, no delegates of their own). */
export const newPlan = (delegates: Agent[]): Plan => ({
  phase: 'plan',
  delegates: delegates.map((d) => ({ ...d, delegates: [] })),
  steps: [],
})

const planSchema = (delegates: Agent[], maxSteps: number) => ({
  type: 'object',
  properties: {
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: maxSteps,
      items: {
        type: 'object',
        properties: {
          agent: { type: 'string', enum: delegates.map((d) => d.name) },
          task: { type: 'string', minLength: 1, maxLength: 4_000 },
        },
        required: ['agent', 'task'],
        additionalProperties: false,
      },
    },
  },
  required: ['steps'],
  additionalProperties: false,
})

/**
 * Goes on with a planner from its stored phase: plan, then the steps not yet done. Answers
 * 'review' once every step ended (the results are in the transcript for the loop's final turn),
 * or the run's status when it ended or paused before.
 */
export async function runPlan(
  ctx: LoopContext,
  deps: LoopDeps,
  p: Progress,
): Promise<LoopOutcome | 'review'> {
  const plan = p.state.plan as Plan
  if (plan.phase === 'plan') {
    const stopped = await makePlan(ctx, deps, p, plan)
    if (stopped !== null) return stopped
  }
  for (const [index, step] of plan.steps.entries()) {
    if (step.status !== null) continue
    const stopped = await runStep(ctx, deps, p, plan, index)
    if (stopped !== null) return stopped
  }
  p.state.messages.push({ role: 'user', content: resultsMessage(plan) })
  plan.phase = 'review'
  await p.save()
  return 'review'
}

/** The plan turn: the model answers the plan's schema; a plan that does not match costs a turn and is asked again. */
async function makePlan(
  ctx: LoopContext,
  deps: LoopDeps,
  p: Progress,
  plan: Plan,
): Promise<LoopOutcome | null> {
  const { run } = ctx
  const { state } = p
  const limits = run.agent.limits
  for (;;) {
    if (ctx.signal.aborted) return p.aborted()
    const limit = p.limitReached()
    if (limit !== null) return limit
    // Room for the plan turn, a turn per step and the review.
    const schema = planSchema(
      plan.delegates,
      Math.max(1, Math.min(MAX_STEPS, limits.max_turns - state.turns - 2)),
    )
    let turn: Turn
    try {
      turn = await modelTurn(ctx, deps, state.messages, {
        tools: [],
        tokensLeft: limits.max_total_tokens - (state.inputTokens + state.outputTokens),
        format: { name: 'plan', schema },
        deltas: false,
      })
    } catch (err) {
      if (ctx.signal.aborted) return p.aborted()
      deps.logger.warn({ err, runId: run.id }, 'plan call failed')
      return p.fail(describeModelError(err))
    }
    if (ctx.signal.aborted) return p.aborted()
    state.turns++
    state.inputTokens += turn.inputTokens
    state.outputTokens += turn.outputTokens
    state.messages.push({ role: 'assistant', content: turn.content })
    await p.step('model', {
      content: turn.content,
      toolCalls: [],
      inputTokens: turn.inputTokens,
      outputTokens: turn.outputTokens,
      finishReason: turn.finishReason,
    })
    const parsed = parsePlan(turn.content, schema)
    if (typeof parsed !== 'string') {
      plan.steps = parsed.map((s) => ({ ...s, childRunId: null, status: null, output: null, error: null }))
      plan.phase = 'steps'
      await p.save()
      void ctx.events.append('plan', {
        runId: run.id,
        steps: plan.steps.map((s, index) => ({ index, agent: s.agent, task: s.task })),
      })
      return null
    }
    state.messages.push({ role: 'user', content: `Your plan must be JSON matching the schema: ${parsed}` })
    await p.save()
  }
}

function parsePlan(
  content: string,
  schema: Record<string, unknown>,
): { agent: string; task: string }[] | string {
  let value: unknown
  try {
    value = JSON.parse(content)
  } catch {
    return 'the answer is not JSON'
  }
  const validate = compileSchema(schema)
  return validate(value)
    ? (value as { steps: { agent: string; task: string }[] }).steps
    : describeErrors(validate)
}

/**
 * One step: its child run made (or found again, for a resumed planner), run to its end or pause
 * on this replica, and its result recorded with its tokens, once (in the same save as the step's
 * status). Answers null to go on, or the planner's status when it ends or pauses here.
 */
async function runStep(
  ctx: LoopContext,
  deps: LoopDeps,
  p: Progress,
  plan: Plan,
  index: number,
): Promise<LoopOutcome | null> {
  const { run, events } = ctx
  const { state } = p
  const step = plan.steps[index] as PlanStep
  if (ctx.signal.aborted) return p.aborted()
  const stored = step.childRunId === null ? null : await deps.repo.get(run.orgId, step.childRunId)
  let child = stored
  if (child === null) {
    const limit = p.limitReached()
    if (limit !== null) return limit
    child = childRun(run, state, plan, index, step.childRunId ?? newId('run'), deps.now())
    // The planner names its child before the child exists: a resume makes the same one.
    if (step.childRunId === null) {
      step.childRunId = child.id
      await p.save()
    }
    await deps.repo.insert(child, deps.lease())
    void events.append('child.start', {
      runId: run.id,
      index,
      childRunId: child.id,
      agentId: child.agent.id,
      agentName: child.agent.name,
      task: step.task,
    })
  }
  let outcome: LoopOutcome = child.status
  if (outcome === 'running') {
    if (ctx.children === undefined) throw new Error(`run ${run.id} plans but nothing here runs its children`)
    outcome = await ctx.children(child, ctx.signal, stored === null)
  }
  if (ctx.signal.aborted) return p.aborted()
  const ended = (await deps.repo.get(run.orgId, child.id)) ?? child
  if (outcome === 'awaiting_approval') {
    state.status = 'awaiting_approval'
    if (!(await p.save())) return 'cancelled'
    await events.append('approval.required', {
      runId: run.id,
      childRunId: child.id,
      calls: ended.pending
        .filter((c) => c.decision === null)
        .map((c) => ({ callId: c.callId, name: c.name, arguments: c.arguments })),
    })
    return 'awaiting_approval'
  }
  if (!['succeeded', 'failed', 'cancelled'].includes(ended.status)) {
    return p.fail({
      code: runErrorCodes.interrupted,
      type: 'server_error',
      message: `Step ${index + 1}'s run ${child.id} stopped ${ended.status}`,
    })
  }
  step.status = ended.status
  step.output = ended.output
  step.error = ended.error
  state.turns++
  state.inputTokens += ended.inputTokens
  state.outputTokens += ended.outputTokens
  await p.step('child', {
    index,
    childRunId: child.id,
    agent: step.agent,
    status: ended.status,
    output: ended.output,
    error: ended.error,
  })
  await p.save()
  return null
}

/** A step's run: the delegate's agent within what the planner has left, the task with the results before it. */
function childRun(
  parent: Run,
  state: RunProgress,
  plan: Plan,
  index: number,
  id: string,
  nowMs: number,
): Run {
  const step = plan.steps[index] as PlanStep
  const delegate = plan.delegates.find((d) => d.name === step.agent)
  // The plan's schema allows only the delegates' names.
  if (delegate === undefined) throw new Error(`run ${parent.id}: no delegate ${step.agent}`)
  const limits = parent.agent.limits
  const tokensLeft = limits.max_total_tokens - (state.inputTokens + state.outputTokens)
  const timeLeft = limits.max_wall_time_ms - state.elapsedMs
  const system = 'text' in delegate.instructions ? delegate.instructions.text : ''
  const before = plan.steps
    .slice(0, index)
    .map(
      (s, i) =>
        `${i + 1}. ${s.agent} (${s.task}): ${s.status === 'succeeded' ? s.output : `no result (${s.status})`}`,
    )
  const task =
    before.length === 0
      ? step.task
      : `${step.task}\n\nResults of the steps before this one:\n${before.join('\n')}`
  return {
    id,
    orgId: parent.orgId,
    identity: parent.identity,
    agent: {
      ...delegate,
      limits: {
        ...delegate.limits,
        max_total_tokens: Math.max(1, Math.min(delegate.limits.max_total_tokens, tokensLeft)),
        max_wall_time_ms: Math.max(1, Math.min(delegate.limits.max_wall_time_ms, timeLeft)),
      },
    },
    parentRunId: parent.id,
    threadId: null,
    status: 'running',
    route: null,
    messages: [
      ...(system === '' ? [] : [{ role: 'system' as const, content: system }]),
      { role: 'user', content: task },
    ],
    pending: [],
    plan: null,
    turns: 0,
    inputTokens: 0,
    outputTokens: 0,
    elapsedMs: 0,
    output: null,
    error: null,
    createdAt: nowMs,
    finishedAt: null,
  }
}

/** What the review turn reads: every step's result, in the plan's order. */
function resultsMessage(plan: Plan): string {
  const results = plan.steps.map(
    (s, i) =>
      `Step ${i + 1} (${s.agent}: ${s.task}): ${
        s.status === 'succeeded' ? s.output : `no result, the run ${s.status}: ${s.error?.message ?? ''}`
      }`,
  )
  return `The steps of your plan are done.\n\n${results.join('\n\n')}\n\nAnswer my request with these results.`
}
