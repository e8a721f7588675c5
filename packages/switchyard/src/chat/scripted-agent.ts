// A hand-written stand-in for agent, as chat's tests see it through its client: agents per org, and
// runs whose events a test scripts. It reads the org from the caller's internal token, as agent
// would from the verified identity, so tenancy holds here too. No model and no database.
import type {
  AgentClient,
  AgentRunEvent,
  AgentRunRequest,
  AgentRunStatus,
  AgentRunView,
  PendingApproval,
  ServiceAnswer,
} from '@switchyard/contracts'
import { agentErrorCodes } from '@switchyard/contracts'

export interface ScriptedAgentDef {
  orgId: string
  id: string
  name: string
}

/** What a run does: its events in order, then where it stands. */
export interface RunScript {
  events: { event: string; data: Record<string, unknown> }[]
  status: AgentRunStatus
  output?: string
  pending?: PendingApproval[]
  /** After its events the run goes on until it is cancelled (then ends `cancelled`). */
  hold?: boolean
}

/** A run as the fake keeps it: who started it, with what, and its log. */
export interface ScriptedRun {
  orgId: string
  /** The agent named, or `auto` (the supervisor). */
  agent: string
  request: AgentRunRequest
  token: string
  view: AgentRunView
  events: AgentRunEvent[]
  cancelled: boolean
  onCancel: () => void
}

const orgOf = (token: string): string => {
  const payload = token.split('.')[1] ?? ''
  return String((JSON.parse(Buffer.from(payload, 'base64url').toString()) as { org?: unknown }).org)
}

const notFound = (code: string, message: string): ServiceAnswer<never> => ({
  ok: false,
  status: 404,
  error: { type: 'invalid_request_error', message, code },
})

/** The answer of a run that calls `add` once, then says "The sum is 5.". */
export function toolCallingRun(): RunScript {
  return {
    events: [
      { event: 'run.start', data: { agentName: 'helper', model: 'fake-chat' } },
      { event: 'step', data: { seq: 1, type: 'model' } },
      { event: 'tool.call', data: { callId: 'call_1', name: 'add', arguments: { a: 2, b: 3 } } },
      { event: 'tool.result', data: { callId: 'call_1', name: 'add', ok: true, content: '5' } },
      { event: 'message.delta', data: { delta: 'The sum ' } },
      { event: 'message.delta', data: { delta: 'is 5.' } },
      { event: 'usage', data: { inputTokens: 40, outputTokens: 9, totalTokens: 49 } },
      { event: 'done', data: { status: 'succeeded', output: 'The sum is 5.' } },
    ],
    status: 'succeeded',
    output: 'The sum is 5.',
  }
}

export class ScriptedAgent implements AgentClient {
  readonly agents: ScriptedAgentDef[] = []
  readonly runs: ScriptedRun[] = []
  /** What the next run does. */
  script: (run: { agent: string; request: AgentRunRequest }) => RunScript = toolCallingRun
  /** When set, every call throws it (agent down). */
  down: Error | null = null

  #agent(orgId: string, idOrName: string) {
    return this.agents.find((a) => a.orgId === orgId && (a.id === idOrName || a.name === idOrName))
  }

  #run(token: string, runId: string) {
    const orgId = orgOf(token)
    return this.runs.find((r) => r.view.id === runId && r.orgId === orgId)
  }

  #check(): void {
    if (this.down) throw this.down
  }

  async getAgent(idOrName: string, { token }: { token: string }) {
    this.#check()
    const agent = this.#agent(orgOf(token), idOrName)
    if (!agent) return notFound(agentErrorCodes.AgentNotFound, `No such agent: ${idOrName}`)
    return {
      ok: true as const,
      status: 200,
      body: { id: agent.id, object: 'agent' as const, name: agent.name, description: '', model: 'fake-chat' },
    }
  }

  async runAgent(agentId: string, request: AgentRunRequest, { token }: { token: string }) {
    this.#check()
    const agent = this.#agent(orgOf(token), agentId)
    if (!agent) return notFound(agentErrorCodes.AgentNotFound, `No such agent: ${agentId}`)
    return this.#start(agent.id, request, token)
  }

  async runSupervised(request: AgentRunRequest, { token }: { token: string }) {
    this.#check()
    if (!this.agents.some((a) => a.orgId === orgOf(token))) {
      return {
        ok: false as const,
        status: 400,
        error: {
          type: 'invalid_request_error',
          message: 'The org has no agent',
          code: agentErrorCodes.NoAgent,
        },
      }
    }
    return this.#start('auto', request, token)
  }

  #start(agent: string, request: AgentRunRequest, token: string): ServiceAnswer<AgentRunView> {
    const orgId = orgOf(token)
    if (request.thread_id !== undefined && !this.#run(token, request.thread_id)) {
      return notFound(agentErrorCodes.RunNotFound, `No such run: ${request.thread_id}`)
    }
    const script = this.script({ agent, request })
    const id = `run_${this.runs.length + 1}`
    const events: AgentRunEvent[] = script.events.map((e, i) => ({
      seq: i + 1,
      event: e.event,
      data: { runId: id, ...e.data },
    }))
    const view: AgentRunView = {
      id,
      object: 'agent.run',
      agent_id: agent,
      thread_id: request.thread_id ?? null,
      status: script.hold ? 'running' : script.status,
      output: script.hold ? null : (script.output ?? null),
      error: null,
      pending_approvals: script.pending ?? [],
      usage: { input_tokens: 40, output_tokens: 9 },
    }
    let onCancel = () => {}
    const cancelled = new Promise<void>((resolve) => {
      onCancel = resolve
    })
    const run: ScriptedRun = { orgId, agent, request, token, view, events, cancelled: false, onCancel }
    if (script.hold) {
      void cancelled.then(() => {
        view.status = 'cancelled'
        events.push({
          seq: events.length + 1,
          event: 'done',
          data: { runId: id, status: 'cancelled', output: null },
        })
      })
    }
    this.runs.push(run)
    return { ok: true, status: 200, body: { ...view } }
  }

  async getRun(runId: string, { token }: { token: string }) {
    this.#check()
    const run = this.#run(token, runId)
    if (!run) return notFound(agentErrorCodes.RunNotFound, `No such run: ${runId}`)
    return { ok: true as const, status: 200, body: { ...run.view } }
  }

  async cancelRun(runId: string, { token }: { token: string }) {
    this.#check()
    const run = this.#run(token, runId)
    if (!run) return notFound(agentErrorCodes.RunNotFound, `No such run: ${runId}`)
    if (['succeeded', 'failed', 'cancelled'].includes(run.view.status)) {
      return {
        ok: false as const,
        status: 409,
        error: { type: 'invalid_request_error', message: 'finished', code: 'AGENT_ERR_RUN_STATE' },
      }
    }
    run.cancelled = true
    run.view.status = 'cancelled'
    run.onCancel()
    return { ok: true as const, status: 200, body: { ...run.view } }
  }

  async runEvents(
    runId: string,
    afterSeq: number,
    { token, signal }: { token: string; signal?: AbortSignal },
  ) {
    this.#check()
    const run = this.#run(token, runId)
    if (!run) return notFound(agentErrorCodes.RunNotFound, `No such run: ${runId}`)
    async function* events(): AsyncGenerator<AgentRunEvent> {
      let next = afterSeq
      for (;;) {
        signal?.throwIfAborted()
        const event = run?.events.find((e) => e.seq === next + 1)
        if (event) {
          next = event.seq
          yield event
          if (event.event === 'done' || event.event === 'error') return
          continue
        }
        // Nothing more logged: a held run waits for its cancel; any other run's stream ends here.
        if (run?.view.status !== 'running') return
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    return { ok: true as const, status: 200, body: events() }
  }
}
