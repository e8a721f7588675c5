// Routing quality: every sampled test utterance through the supervisor (the agent service's own
// code) with the router's local models, scored against its label. Stage 1's examples are the
// specialists' (train split only). A clarifying question counts as a wrong route.
import { createRouterPorts, Supervisor, SupervisorConfig } from '@switchyard/agent/supervisor'
import { type Summary, summarize } from '@switchyard/bench-router/stats'
import { loadConfig } from '@switchyard/config'
import type { Specialist, Utterance } from './dataset.ts'
import type { LocalRouter } from './router.ts'

export interface StageTally {
  routed: number
  correct: number
}

export interface RoutingResult {
  total: number
  correct: number
  byStage: Record<string, StageTally>
  /** Stage 1's best agent alone, on every utterance (what routing without the classifier would score). */
  embeddingTop1Correct: number
  /** On the utterances the classifier decided: how often it, and stage 1's best, was right. */
  classifierDecided: number
  classifierCorrect: number
  embeddingTop1OnClassified: number
  /** Time to embed every specialist's texts once (then cached). */
  indexMs: number
  textsEmbedded: number
  route: Summary
  classify: Summary
  config: SupervisorConfig
}

export interface RoutingOptions {
  router: LocalRouter
  specialists: Specialist[]
  sample: Utterance[]
  log: (line: string) => void
  /** Logs every decision stage 1 did not make alone. */
  trace: boolean
}

export async function runRouting(o: RoutingOptions): Promise<RoutingResult> {
  // As the agent service reads them: the defaults, unless the environment sets AGENT_SUPERVISOR_*.
  const config = loadConfig(SupervisorConfig, process.env)
  const ports = createRouterPorts({
    baseURL: `${o.router.url}/v1`,
    fetch: globalThis.fetch,
    embeddingModel: config.AGENT_SUPERVISOR_EMBEDDING_MODEL,
    classifierModel: config.AGENT_SUPERVISOR_CLASSIFIER_MODEL,
  })
  const classifyMs: number[] = []
  const supervisor = new Supervisor({
    config,
    embed: ports.embed,
    complete: async (request, ctx) => {
      const started = performance.now()
      try {
        return await ports.complete(request, ctx)
      } finally {
        classifyMs.push(performance.now() - started)
      }
    },
  })
  const ctx = { token: o.router.token }
  const agents = o.specialists

  const indexStarted = performance.now()
  await Promise.all(agents.map((agent) => supervisor.index.vectorsOf(agent, ctx)))
  const indexMs = performance.now() - indexStarted
  const textsEmbedded = supervisor.index.embedded
  o.log(`routing: embedded ${textsEmbedded} specialist texts in ${(indexMs / 1000).toFixed(1)} s`)

  const byStage: Record<string, StageTally> = {}
  const routeMs: number[] = []
  let correct = 0
  let embeddingTop1Correct = 0
  let classifierDecided = 0
  let classifierCorrect = 0
  let embeddingTop1OnClassified = 0
  const every = Math.max(1, Math.floor(o.sample.length / 10))
  for (const [i, utterance] of o.sample.entries()) {
    const expected = `agent_${utterance.label}`
    const started = performance.now()
    const decision = await supervisor.route({ message: utterance.text, agents }, ctx)
    routeMs.push(performance.now() - started)
    const right = decision.agentId === expected
    const topRight = decision.scores[0]?.agentId === expected
    if (o.trace && decision.stage !== 'embedding')
      o.log(
        `  ${right ? 'right' : 'WRONG'} ${decision.stage} ${decision.agentId ?? '-'} conf=${decision.confidence ?? '-'} (want ${expected}) "${utterance.text}": ${decision.reason}`,
      )
    const tally = byStage[decision.stage] ?? { routed: 0, correct: 0 }
    tally.routed++
    if (right) tally.correct++
    byStage[decision.stage] = tally
    if (right) correct++
    if (topRight) embeddingTop1Correct++
    if (decision.stage === 'classifier') {
      classifierDecided++
      if (right) classifierCorrect++
      if (topRight) embeddingTop1OnClassified++
    }
    if ((i + 1) % every === 0 || i + 1 === o.sample.length)
      o.log(
        `routing: ${i + 1}/${o.sample.length} accuracy so far ${(correct / (i + 1)).toFixed(3)} (${Object.entries(
          byStage,
        )
          .map(([stage, t]) => `${stage} ${t.routed}`)
          .join(', ')})`,
      )
  }
  if (supervisor.index.embedded !== textsEmbedded)
    throw new Error('specialist texts were embedded again while routing: the cache did not hold')
  return {
    total: o.sample.length,
    correct,
    byStage,
    embeddingTop1Correct,
    classifierDecided,
    classifierCorrect,
    embeddingTop1OnClassified,
    indexMs,
    textsEmbedded,
    route: summarize(routeMs),
    classify: summarize(classifyMs),
    config,
  }
}
