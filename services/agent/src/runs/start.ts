import {
  type AdminClient,
  adminErrorCodes,
  type Identity,
  labelNamePattern,
  promptNamePattern,
} from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { SharedState } from '@switchyard/state'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { Logger } from 'pino'
import type { Agent } from '../agents/agent.ts'
import type { AgentCatalog } from '../agents/catalog.ts'
import { agentErrors } from '../errors.ts'
import { newId } from '../ids.ts'
import { newPlan, plannerInstructions } from './delegation.ts'
import type { RunLogLimits } from './events.ts'
import { RunEventWriter } from './events.ts'
import type { RunsRepository } from './repository.ts'
import type { Run } from './run.ts'
import type { Runner } from './runner.ts'
import { publishRun } from './runner.ts'
import type { RouteDecision, Supervisor } from './supervisor-port.ts'

const PROMPT_REF = new RegExp(`^(${promptNamePattern})@(${labelNamePattern})$`)

export interface StartDeps {
  repo: RunsRepository
  catalog: AgentCatalog
  runner: Runner
  supervisor: Supervisor
  admin: AdminClient
  state: SharedState
  bus: EventBus
  logger: Logger
  logLimits: RunLogLimits
  sign(identity: Identity): Promise<string>
  now: () => number
}

export interface StartRequest {
  identity: Identity
  /** The caller's internal token: prompt references resolve with it while the request lasts. */
  token: string
  input: string | { role: 'user' | 'assistant'; content: string }[]
  threadId?: string | undefined
  /** `POST /v1/agents/{id}/runs`: this agent, no routing. */
  agentId?: string | undefined
  /** `POST /v1/runs` with `agent`: the supervisor is told the caller named it. */
  requestedAgent?: string | undefined
}

/** The supervisor's own "agent", for a run that only asks the user to clarify. */
const supervisorAgent = (): Agent => ({
  id: 'supervisor',
  name: 'supervisor',
  description: 'Routes messages to agents',
  instructions: { text: '' },
  model: '',
  tools: [],
  delegates: [],
  limits: { max_turns: 1, max_total_tokens: 100, max_wall_time_ms: 1_000, tool_timeout_ms: 100 },
  toolChoice: 'auto',
  outputSchema: null,
  examples: [],
  metadata: {},
  createdAt: 0,
  builtin: true,
})

/**
 * Starts a run: the agent (named, or chosen by the supervisor), its instructions resolved, the
 * thread's conversation continued, the run stored, `run.start` (and `route`) logged, then the
 * loop on this replica. Resolves with the stored run once its first events are in the log.
 */
export async function startRun(req: StartRequest, deps: StartDeps): Promise<Run> {
  const { identity } = req
  const orgId = identity.orgId
  const thread = req.threadId === undefined ? null : await deps.repo.get(orgId, req.threadId)
  if (req.threadId !== undefined && thread === null) {
    throw Object.assign(new agentErrors.RunNotFound(req.threadId), { param: 'thread_id' })
  }
  const userText = typeof req.input === 'string' ? req.input : (req.input.at(-1)?.content ?? '')

  let agent: Agent | null
  let route: RouteDecision | null = null
  if (req.agentId !== undefined) {
    agent = await deps.catalog.get(orgId, req.agentId)
    if (agent === null) throw new agentErrors.AgentNotFound(req.agentId)
  } else {
    const agents = await deps.catalog.all(orgId)
    let requested: Agent | null = null
    if (req.requestedAgent !== undefined) {
      requested = await deps.catalog.get(orgId, req.requestedAgent)
      if (requested === null)
        throw Object.assign(new agentErrors.AgentNotFound(req.requestedAgent), { param: 'agent' })
    }
    if (agents.length === 0) throw new agentErrors.NoAgent()
    route = await deps.supervisor.route({
      identity,
      token: await deps.sign(identity),
      message: userText,
      agents,
      ...(requested !== null && { requestedAgentId: requested.id }),
      ...(thread !== null && { threadAgentId: thread.agent.id }),
      signal: AbortSignal.timeout(30_000),
    })
    const chosen = route.agentId
    agent =
      chosen === null
        ? null
        : (agents.find((a) => a.id === chosen) ?? (await deps.catalog.get(orgId, chosen)))
  }

  const history = (thread?.messages ?? []).filter((m) => m.role !== 'system')
  const input: ChatCompletionMessageParam[] =
    typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : req.input.map((m) => ({ ...m }))
  const now = deps.now()
  const base = {
    id: newId('run'),
    orgId,
    identity,
    parentRunId: null,
    threadId: req.threadId ?? null,
    route: route === null ? null : { ...route },
    pending: [],
    turns: 0,
    inputTokens: 0,
    outputTokens: 0,
    elapsedMs: 0,
    error: null,
    createdAt: now,
  }

  if (agent === null) {
    // The supervisor asks the user instead: a run that ends at once with its question.
    const question = route?.clarification ?? 'Which of the agents should answer this?'
    const run: Run = {
      ...base,
      agent: supervisorAgent(),
      status: 'succeeded',
      plan: null,
      messages: [...history, ...input, { role: 'assistant', content: question }],
      output: question,
      finishedAt: now,
    }
    await deps.repo.insert(run, null)
    await deps.repo.save(run, { ...run, status: 'succeeded' }, now, { from: 'succeeded' })
    const events = new RunEventWriter(deps.state, run.id, deps.logLimits, deps.logger, 0)
    void events.append('run.start', { runId: run.id, agentId: run.agent.id, model: null })
    void events.append('route', { runId: run.id, ...route })
    void events.append('message.delta', { runId: run.id, delta: question })
    await events.append('done', { runId: run.id, status: 'succeeded', output: question })
    await publishRun(deps.bus, deps.logger, run, now)
    return run
  }

  const own = await instructionsOf(agent, identity, req.token, deps.admin)
  // A planner's delegates are resolved now, while the caller's token lasts: its steps run later.
  const delegates = await delegatesOf(agent, req, deps)
  const system = delegates.length === 0 ? own : plannerInstructions(own, delegates)
  const run: Run = {
    ...base,
    agent: { ...agent, instructions: { text: own } },
    plan: delegates.length === 0 ? null : newPlan(delegates),
    status: 'running',
    messages: [
      ...(system === '' ? [] : [{ role: 'system' as const, content: system }]),
      ...history,
      ...input,
    ],
    output: null,
    finishedAt: null,
  }
  await deps.repo.insert(run, deps.runner.lease())
  const events = new RunEventWriter(deps.state, run.id, deps.logLimits, deps.logger, 0)
  const started = events.append('run.start', {
    runId: run.id,
    agentId: agent.id,
    agentName: agent.name,
    model: agent.model,
  })
  // Logged before the loop starts: a client tailing the log from now on misses nothing.
  await (route === null ? started : events.append('route', { runId: run.id, ...route }))
  await publishRun(deps.bus, deps.logger, run, now)
  deps.runner.start(run, events)
  return run
}

/** A planner's delegates as they are now, instructions resolved; none for an agent that does the work itself. */
async function delegatesOf(agent: Agent, req: StartRequest, deps: StartDeps): Promise<Agent[]> {
  const delegates: Agent[] = []
  for (const name of agent.delegates) {
    const delegate = await deps.catalog.get(req.identity.orgId, name)
    if (delegate === null) throw new agentErrors.UnknownDelegate(name)
    const text = await instructionsOf(delegate, req.identity, req.token, deps.admin)
    delegates.push({ ...delegate, instructions: { text } })
  }
  return delegates
}

/** The agent's system prompt: its text, or admin's prompt it references (with the caller's token). */
async function instructionsOf(
  agent: Agent,
  identity: Identity,
  token: string,
  admin: AdminClient,
): Promise<string> {
  const instructions = agent.instructions
  if ('text' in instructions) return instructions.text
  const match = PROMPT_REF.exec(instructions.prompt)
  if (match === null) throw new agentErrors.InvalidRequest(`Bad prompt reference ${instructions.prompt}`)
  let answer: Awaited<ReturnType<AdminClient['resolvePrompt']>>
  try {
    answer = await admin.resolvePrompt(
      match[1] as string,
      { label: match[2] as string },
      {
        token,
        signal: AbortSignal.timeout(10_000),
      },
    )
  } catch {
    throw new agentErrors.PromptUnavailable(instructions.prompt, 'the admin service did not answer')
  }
  if (answer.ok) return answer.body.template
  throw new agentErrors.PromptUnavailable(
    instructions.prompt,
    answer.error?.code === adminErrorCodes.NotFound
      ? `no such prompt in org ${identity.orgId}`
      : `admin answered ${answer.status}`,
  )
}
