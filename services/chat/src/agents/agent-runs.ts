import {
  type AgentClient,
  type AgentRunRequest,
  type AgentRunView,
  agentErrorCodes,
  type ServiceAnswer,
} from '@switchyard/contracts'
import type { Logger } from 'pino'
import type { Caller } from '../deps.ts'
import { chatErrors } from '../errors.ts'

/** What a conversation names to have agent's supervisor choose the agent of each run. */
export const SUPERVISOR = 'auto'

export interface AgentRunsOptions {
  client: AgentClient
  logger: Logger
  /** CHAT_AGENT_TIMEOUT_MS: the longest wait for one answer of agent. */
  timeoutMs: number
}

/**
 * Chat's side of agent: agent's answers turned into chat's errors, each call bounded by
 * CHAT_AGENT_TIMEOUT_MS. Every call carries the caller's token, so agent decides what the caller
 * may use: another org's agent is agent's 404, which is chat's 400 CHAT_ERR_UNKNOWN_AGENT.
 */
export class AgentRuns {
  readonly client: AgentClient
  readonly #logger: Logger
  readonly #timeoutMs: number

  constructor(options: AgentRunsOptions) {
    this.client = options.client
    this.#logger = options.logger
    this.#timeoutMs = options.timeoutMs
  }

  /** The id of the agent the caller names (id or name); `auto` stays `auto`. */
  async resolve(idOrName: string, caller: Caller): Promise<string> {
    if (idOrName === SUPERVISOR) return SUPERVISOR
    const answer = await this.#call((signal) =>
      this.client.getAgent(idOrName, { token: caller.token, signal }),
    )
    return this.#body(answer, idOrName).id
  }

  /**
   * Starts a run of the conversation's agent (or the supervisor) in the background. A thread that
   * agent no longer keeps (its retention deleted the run) starts afresh rather than failing.
   */
  async start(agent: string, request: AgentRunRequest, caller: Caller): Promise<AgentRunView> {
    const body = { ...request, background: true }
    const run = (body: AgentRunRequest) =>
      this.#call((signal) => {
        const options = { token: caller.token, signal }
        return agent === SUPERVISOR
          ? this.client.runSupervised(body, options)
          : this.client.runAgent(agent, body, options)
      })
    let answer = await run(body)
    if (!answer.ok && answer.error?.code === agentErrorCodes.RunNotFound && body.thread_id !== undefined) {
      this.#logger.info(
        { threadId: body.thread_id },
        "the conversation's agent thread is gone: a new one starts",
      )
      const { thread_id: _gone, ...fresh } = body
      answer = await run(fresh)
    }
    return this.#body(answer, agent)
  }

  /** The run as agent has it now; null when agent does not answer (the caller decides what then). */
  async get(runId: string, token: string): Promise<AgentRunView | null> {
    try {
      const answer = await this.#call((signal) => this.client.getRun(runId, { token, signal }))
      return answer.ok ? answer.body : null
    } catch {
      return null
    }
  }

  /**
   * Asks agent to cancel the run; a failure is logged, not thrown (a run that already ended is
   * agent's 409, and the caller's token may have expired since the run started).
   */
  async cancel(runId: string, token: string): Promise<void> {
    try {
      const answer = await this.#call((signal) => this.client.cancelRun(runId, { token, signal }))
      if (!answer.ok && answer.status !== 409) {
        this.#logger.warn(
          { runId, status: answer.status, code: answer.error?.code },
          'agent did not cancel the run',
        )
      }
    } catch (err) {
      this.#logger.warn({ err, runId }, 'agent did not cancel the run')
    }
  }

  async #call<T>(work: (signal: AbortSignal) => Promise<ServiceAnswer<T>>): Promise<ServiceAnswer<T>> {
    const signal = AbortSignal.timeout(this.#timeoutMs)
    try {
      return await work(signal)
    } catch (err) {
      if (signal.aborted) throw new chatErrors.AgentTimeout(this.#timeoutMs)
      throw new chatErrors.AgentUnavailable(err instanceof Error ? err.message : String(err))
    }
  }

  #body<T>(answer: ServiceAnswer<T>, agent: string): T {
    if (answer.ok) return answer.body
    const { status, error } = answer
    if (error?.code === agentErrorCodes.AgentNotFound) {
      throw Object.assign(new chatErrors.UnknownAgent(agent), { param: 'agent' })
    }
    if (status >= 500 || error === null) throw new chatErrors.AgentUnavailable(`status ${status}`)
    throw new chatErrors.AgentRefused(error.code ?? `status ${status}`, error.message)
  }
}
