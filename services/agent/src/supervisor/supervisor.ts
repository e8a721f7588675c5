// The supervisor: which agent answers a message. A caller-named agent skips routing. Stage 1
// compares the message's embedding with each agent's description and examples and answers alone
// when one agent is clearly closest; otherwise an LLM classifier chooses among the closest few.
// The classifier overrules stage 1 only when it is confident (a small model is often wrong); when
// neither stage knows and no agent is close, the user is asked to clarify. A follow-up stays with
// the thread's agent unless the classifier is confident the topic changed.
import { type Candidate, type Classification, type ClassifyResult, classify } from './classifier.ts'
import type { SupervisorConfig } from './config.ts'
import { ExampleIndex, textsOf } from './example-index.ts'
import type { CallContext, ChatMessage, CompleteJson, Embed, RoutableAgent } from './ports.ts'
import { type AgentScore, margin, nearest, rankAgents } from './similarity.ts'

/** Example utterances shown to the classifier per candidate: those nearest to the message. */
const shownExamples = 3

export type RouteStage = 'requested' | 'only' | 'embedding' | 'classifier' | 'thread' | 'fallback' | 'clarify'

export interface SupervisorInput {
  message: string
  /** The agents the message may go to (the org's and the built-ins). */
  agents: readonly RoutableAgent[]
  /** An agent the caller named: no routing. */
  agentId?: string
  /** The agent the thread is with, for a follow-up. */
  threadAgentId?: string
  /** Earlier turns of the thread, oldest first. */
  history?: readonly ChatMessage[]
}

/** What the supervisor decided and why; recorded on the run and sent as the `route` event. */
export interface SupervisorDecision {
  /** The chosen agent; absent when the user is asked to clarify. */
  agentId?: string
  stage: RouteStage
  /** Stage 1's scores, best first (empty when stage 1 did not run). */
  scores: AgentScore[]
  /** The best score's lead over the runner-up. */
  margin?: number
  /** The classifier's confidence, when it answered. */
  confidence?: number
  reason: string
  /** The question for the user, when `stage` is `clarify`. */
  clarification?: string
}

export interface SupervisorOptions {
  config: SupervisorConfig
  embed: Embed
  complete: CompleteJson
}

export class Supervisor {
  readonly #config: SupervisorConfig
  readonly #complete: CompleteJson
  readonly #embed: Embed
  /** Example vectors per agent version. */
  readonly index: ExampleIndex

  constructor(options: SupervisorOptions) {
    this.#config = options.config
    this.#complete = options.complete
    this.#embed = options.embed
    this.index = new ExampleIndex({
      embed: options.embed,
      model: options.config.AGENT_SUPERVISOR_EMBEDDING_MODEL,
      maxAgents: options.config.AGENT_SUPERVISOR_CACHE_AGENTS,
    })
  }

  async route(input: SupervisorInput, ctx: CallContext): Promise<SupervisorDecision> {
    const c = this.#config
    if (input.agentId !== undefined)
      return { agentId: input.agentId, stage: 'requested', scores: [], reason: 'the caller named the agent' }
    const [onlyAgent] = input.agents
    if (onlyAgent === undefined) throw new Error('the supervisor was given no agents')
    if (input.agents.length === 1)
      return { agentId: onlyAgent.id, stage: 'only', scores: [], reason: 'the only agent' }

    const { scores, query, vectors } = await this.#stage1(input.message, input.agents, ctx)
    const lead = margin(scores)
    const best = scores[0] as AgentScore
    const byId = new Map(input.agents.map((agent) => [agent.id, agent]))
    const candidateOf = (agent: RoutableAgent): Candidate => {
      const texts = textsOf(agent)
      const shown = nearest(query, vectors.get(agent.id) ?? [], shownExamples + 1)
        .map((i) => texts[i] as string)
        .filter((text) => text !== agent.description.trim())
      return { agent, examples: shown.slice(0, shownExamples) }
    }
    const closest = scores
      .slice(0, c.AGENT_SUPERVISOR_CANDIDATES)
      .map((s) => byId.get(s.agentId) as RoutableAgent)
    const decided = (rest: Omit<SupervisorDecision, 'scores' | 'margin'>): SupervisorDecision => ({
      ...rest,
      scores,
      margin: lead,
    })

    const thread = input.threadAgentId === undefined ? undefined : byId.get(input.threadAgentId)
    if (thread !== undefined) {
      if (best.agentId === thread.id)
        return decided({
          agentId: thread.id,
          stage: 'thread',
          reason: "a follow-up, still closest to the thread's agent",
        })
      const withThread = closest.includes(thread) ? closest : [...closest, thread]
      const result = await this.#classify(
        { ...input, candidates: withThread.map(candidateOf), threadAgent: thread },
        ctx,
      )
      if (
        result.ok &&
        result.answer.agentId !== thread.id &&
        result.answer.confidence >= c.AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE
      )
        return decided({ ...fromClassifier(result.answer), reason: `topic changed: ${result.answer.reason}` })
      return decided({
        agentId: thread.id,
        stage: 'thread',
        ...(result.ok ? { confidence: result.answer.confidence } : {}),
        reason: result.ok
          ? `a follow-up; the classifier did not find the topic changed (${result.answer.reason})`
          : `a follow-up; ${result.error}`,
      })
    }

    if (best.score >= c.AGENT_SUPERVISOR_MIN_SCORE && lead >= c.AGENT_SUPERVISOR_MIN_MARGIN)
      return decided({
        agentId: best.agentId,
        stage: 'embedding',
        reason: `closest by ${best.score.toFixed(3)}, ahead by ${lead.toFixed(3)}`,
      })

    const result = await this.#classify({ ...input, candidates: closest.map(candidateOf) }, ctx)
    const known = best.score >= c.AGENT_SUPERVISOR_CLARIFY_SCORE
    if (result.ok) {
      const { answer } = result
      if (answer.confidence >= c.AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE) return decided(fromClassifier(answer))
      if (known && answer.agentId === best.agentId)
        return decided({ ...fromClassifier(answer), reason: `agrees with stage 1: ${answer.reason}` })
    }
    const why = result.ok
      ? `classifier chose ${result.answer.agentId} at confidence ${result.answer.confidence} (${result.answer.reason})`
      : result.error
    // Two unsure stages: stage 1's closest agent when it is close at all, else ask the user.
    if (known)
      return decided({
        agentId: best.agentId,
        stage: 'fallback',
        ...(result.ok ? { confidence: result.answer.confidence } : {}),
        reason: `${why}; took the closest agent`,
      })
    return decided({
      stage: 'clarify',
      ...(result.ok ? { confidence: result.answer.confidence } : {}),
      reason: `${why}; no agent is close`,
      clarification: clarifyingQuestion(closest.slice(0, 3)),
    })
  }

  /** Stage 1: the message embedded once, compared with every agent's cached vectors. */
  async #stage1(
    message: string,
    agents: readonly RoutableAgent[],
    ctx: CallContext,
  ): Promise<{ scores: AgentScore[]; query: number[]; vectors: Map<string, number[][]> }> {
    const [query, all] = await Promise.all([
      this.#embed([message], ctx).then((got) => got[0] as number[]),
      Promise.all(agents.map((agent) => this.index.vectorsOf(agent, ctx))),
    ])
    const indexed = agents.map((agent, i) => ({ agentId: agent.id, vectors: all[i] as number[][] }))
    const scores = rankAgents(query, indexed, this.#config.AGENT_SUPERVISOR_TOP_K)
    return { scores, query, vectors: new Map(indexed.map(({ agentId, vectors }) => [agentId, vectors])) }
  }

  #classify(
    request: SupervisorInput & { candidates: readonly Candidate[]; threadAgent?: RoutableAgent },
    ctx: CallContext,
  ): Promise<ClassifyResult> {
    return classify(
      this.#complete,
      {
        message: request.message,
        candidates: request.candidates,
        ...(request.history === undefined ? {} : { history: request.history }),
        ...(request.threadAgent === undefined ? {} : { threadAgent: request.threadAgent }),
      },
      ctx,
    )
  }
}

function fromClassifier(answer: Classification): Omit<SupervisorDecision, 'scores' | 'margin'> {
  return {
    agentId: answer.agentId,
    stage: 'classifier',
    confidence: answer.confidence,
    reason: answer.reason,
  }
}

/** A question naming the likeliest agents by what they do. */
export function clarifyingQuestion(candidates: readonly RoutableAgent[]): string {
  const options = candidates.map((agent) => `${agent.name} (${agent.description})`)
  const list =
    options.length <= 1 ? (options[0] ?? '') : `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`
  return `I am not sure who should answer this. Is it about ${list}? Please tell me a little more.`
}
