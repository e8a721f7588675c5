import { describe, expect, test } from 'vitest'
import type { SupervisorConfig } from './config.ts'
import type { CompleteJson, Embed, JsonCompletionRequest, RoutableAgent } from './ports.ts'
import { agentScore, cosine } from './similarity.ts'
import { Supervisor } from './supervisor.ts'

const config: SupervisorConfig = {
  AGENT_SUPERVISOR_EMBEDDING_MODEL: 'embed',
  AGENT_SUPERVISOR_CLASSIFIER_MODEL: 'chat',
  AGENT_SUPERVISOR_MIN_SCORE: 0.5,
  AGENT_SUPERVISOR_MIN_MARGIN: 0.05,
  AGENT_SUPERVISOR_TOP_K: 2,
  AGENT_SUPERVISOR_CANDIDATES: 2,
  AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE: 0.8,
  AGENT_SUPERVISOR_CLARIFY_SCORE: 0.3,
  AGENT_SUPERVISOR_CACHE_AGENTS: 10,
}

// Three agents along three axes; messages are points between them.
const bank: RoutableAgent = {
  id: 'a_bank',
  name: 'bank',
  description: 'money',
  examples: ['balance', 'transfer'],
}
const travel: RoutableAgent = {
  id: 'a_travel',
  name: 'travel',
  description: 'trips',
  examples: ['flight', 'hotel'],
}
const cook: RoutableAgent = { id: 'a_cook', name: 'cook', description: 'food', examples: ['recipe'] }
const agents = [bank, travel, cook]
const space: Record<string, number[]> = {
  money: [1, 0, 0],
  balance: [0.9, 0.1, 0],
  transfer: [0.8, 0, 0.2],
  trips: [0, 1, 0],
  flight: [0.1, 0.9, 0],
  hotel: [0, 0.8, 0.2],
  food: [0, 0, 1],
  recipe: [0.1, 0, 0.9],
  'what is my balance': [1, 0.1, 0],
  'book it for tomorrow': [1, 1, 0.1],
  'something else entirely': [-1, 0.2, 0.2],
}

function fakeEmbedder() {
  const calls: string[][] = []
  const embed: Embed = async (inputs) => {
    calls.push([...inputs])
    return inputs.map((text) => {
      const vector = space[text]
      if (vector === undefined) throw new Error(`no vector for ${text}`)
      return vector
    })
  }
  return { embed, calls }
}

function fakeClassifier(...answers: (string | Error)[]) {
  const requests: JsonCompletionRequest[] = []
  const complete: CompleteJson = async (request) => {
    requests.push(request)
    const answer = answers.shift()
    if (answer === undefined) throw new Error('the classifier was not expected to be called')
    if (answer instanceof Error) throw answer
    return answer
  }
  return { complete, requests }
}

function setup(...answers: (string | Error)[]) {
  const embedder = fakeEmbedder()
  const classifier = fakeClassifier(...answers)
  const supervisor = new Supervisor({ config, embed: embedder.embed, complete: classifier.complete })
  return { supervisor, embedder, classifier }
}

const ctx = { token: 'token' }
/** The agent names a classifier request allowed. */
const offeredNames = (request: JsonCompletionRequest | undefined): string[] => {
  const properties = (request?.schema.properties ?? {}) as Record<string, { enum?: string[] }>
  return [...(properties.agent?.enum ?? [])]
}
/** The score the supervisor should give `agent` for `message`, from the same vectors. */
const expectedScore = (message: string, agent: RoutableAgent) =>
  agentScore(
    space[message] as number[],
    [agent.description, ...(agent.examples ?? [])].map((text) => space[text] as number[]),
    config.AGENT_SUPERVISOR_TOP_K,
  )

describe('supervisor', () => {
  test('a caller-named agent skips routing: nothing is embedded or classified', async () => {
    const { supervisor, embedder, classifier } = setup()
    const decision = await supervisor.route({ message: 'hello', agents, agentId: 'a_cook' }, ctx)
    expect(decision).toMatchObject({ agentId: 'a_cook', stage: 'requested', scores: [] })
    expect(embedder.calls).toEqual([])
    expect(classifier.requests).toEqual([])
  })

  test('a clear message is routed by the embedding stage alone, with every score', async () => {
    const { supervisor, classifier } = setup()
    const decision = await supervisor.route({ message: 'what is my balance', agents }, ctx)
    const expected = agents
      .map((agent) => ({ agentId: agent.id, score: expectedScore('what is my balance', agent) }))
      .sort((a, b) => b.score - a.score)
    expect(decision.stage).toBe('embedding')
    expect(decision.agentId).toBe('a_bank')
    expect(decision.scores.map((s) => s.agentId)).toEqual(expected.map((s) => s.agentId))
    for (const [i, s] of decision.scores.entries())
      expect(s.score).toBeCloseTo(expected[i]?.score as number, 10)
    expect(decision.margin).toBeCloseTo((expected[0]?.score as number) - (expected[1]?.score as number), 10)
    expect(classifier.requests).toEqual([])
  })

  test('a close call goes to the classifier with the closest candidates as an enum', async () => {
    const { supervisor, classifier } = setup('{"agent":"travel","confidence":0.9,"reason":"booking"}')
    const decision = await supervisor.route({ message: 'book it for tomorrow', agents }, ctx)
    // Bank and travel are equally close; the margin is below the threshold.
    expect(
      Math.abs(expectedScore('book it for tomorrow', bank) - expectedScore('book it for tomorrow', travel)),
    ).toBeLessThan(config.AGENT_SUPERVISOR_MIN_MARGIN)
    expect(decision).toMatchObject({
      agentId: 'a_travel',
      stage: 'classifier',
      confidence: 0.9,
      reason: 'booking',
    })
    const [request] = classifier.requests
    expect(offeredNames(request).sort()).toEqual(['bank', 'travel'])
    expect(request?.messages.at(-1)?.content).toBe('book it for tomorrow')
  })

  test.each([
    ['no JSON', 'sure, travel!'],
    ['a name outside the candidates', '{"agent":"cook","confidence":0.9,"reason":"x"}'],
    ['a confidence out of range', '{"agent":"travel","confidence":7,"reason":"x"}'],
    ['a missing field', '{"agent":"travel","confidence":0.9}'],
    ['a failed call', new Error('router down')],
  ])('a classifier answering %s falls back to the closest agent', async (_, answer) => {
    const { supervisor } = setup(answer)
    const decision = await supervisor.route({ message: 'book it for tomorrow', agents }, ctx)
    expect(decision.stage).toBe('fallback')
    expect(decision.agentId).toBe(decision.scores[0]?.agentId)
    expect(decision.reason).toMatch(/classifier/)
  })

  test('an unsure classifier that agrees with stage 1 decides', async () => {
    const { supervisor } = setup('{"agent":"bank","confidence":0.5,"reason":"money"}')
    const decision = await supervisor.route({ message: 'book it for tomorrow', agents }, ctx)
    // Equal scores: the tie goes to the smaller id, so bank is stage 1's best.
    expect(decision.scores[0]?.agentId).toBe('a_bank')
    expect(decision).toMatchObject({ stage: 'classifier', agentId: 'a_bank', confidence: 0.5 })
  })

  test('an unsure classifier that disagrees does not overrule stage 1', async () => {
    const { supervisor } = setup('{"agent":"travel","confidence":0.1,"reason":"could be either"}')
    const decision = await supervisor.route({ message: 'book it for tomorrow', agents }, ctx)
    expect(decision.scores[0]?.score).toBeGreaterThanOrEqual(config.AGENT_SUPERVISOR_MIN_SCORE)
    expect(decision).toMatchObject({
      stage: 'fallback',
      agentId: decision.scores[0]?.agentId,
      confidence: 0.1,
    })
  })

  test('an unsure classifier on a message close to no agent asks a clarifying question', async () => {
    const { supervisor, classifier } = setup(
      '{"agent":"travel","confidence":0.1,"reason":"no idea"}',
      'nonsense',
    )
    const decision = await supervisor.route({ message: 'something else entirely', agents }, ctx)
    expect(Math.max(...agents.map((agent) => expectedScore('something else entirely', agent)))).toBeLessThan(
      config.AGENT_SUPERVISOR_CLARIFY_SCORE,
    )
    expect(decision.stage).toBe('clarify')
    expect(decision.agentId).toBeUndefined()
    const closest = decision.scores.slice(0, 2).map((s) => agents.find((agent) => agent.id === s.agentId))
    for (const agent of closest)
      expect(decision.clarification).toContain(`${agent?.name} (${agent?.description})`)
    // The classifier saw each candidate's examples nearest to the message.
    expect(classifier.requests[0]?.messages[0]?.content).toContain('"hotel"')
    // A classifier that fails on such a message asks too.
    const failed = await supervisor.route({ message: 'something else entirely', agents }, ctx)
    expect(failed.stage).toBe('clarify')
  })

  test('a follow-up closest to the thread agent stays without asking the classifier', async () => {
    const { supervisor, classifier } = setup()
    const decision = await supervisor.route(
      { message: 'what is my balance', agents, threadAgentId: 'a_bank' },
      ctx,
    )
    expect(decision).toMatchObject({ agentId: 'a_bank', stage: 'thread' })
    expect(classifier.requests).toEqual([])
  })

  test('a follow-up leaves the thread agent only when the classifier is confident', async () => {
    const sure = setup('{"agent":"bank","confidence":0.95,"reason":"now about money"}')
    const moved = await sure.supervisor.route(
      { message: 'what is my balance', agents, threadAgentId: 'a_cook' },
      ctx,
    )
    expect(moved).toMatchObject({ agentId: 'a_bank', stage: 'classifier' })
    // The thread's agent is offered even when it is not among the closest.
    expect(offeredNames(sure.classifier.requests[0])).toContain('cook')

    const unsure = setup(
      `{"agent":"bank","confidence":${config.AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE - 0.1},"reason":"maybe"}`,
    )
    const stayed = await unsure.supervisor.route(
      { message: 'what is my balance', agents, threadAgentId: 'a_cook' },
      ctx,
    )
    expect(stayed).toMatchObject({ agentId: 'a_cook', stage: 'thread' })

    const broken = setup('nonsense')
    const kept = await broken.supervisor.route(
      { message: 'what is my balance', agents, threadAgentId: 'a_cook' },
      ctx,
    )
    expect(kept).toMatchObject({ agentId: 'a_cook', stage: 'thread' })
  })

  test('example vectors are embedded once per agent version, the message once per request', async () => {
    const { supervisor, embedder } = setup()
    const texts = agents.reduce((n, agent) => n + 1 + (agent.examples?.length ?? 0), 0)
    await Promise.all([
      supervisor.route({ message: 'what is my balance', agents }, ctx),
      supervisor.route({ message: 'what is my balance', agents }, ctx),
    ])
    await supervisor.route({ message: 'what is my balance', agents }, ctx)
    expect(supervisor.index.embedded).toBe(texts)
    expect(
      embedder.calls.filter((inputs) => inputs.length === 1 && inputs[0] === 'what is my balance'),
    ).toHaveLength(3)

    // An edited agent is a new version: only its texts are embedded again.
    const edited = { ...cook, examples: ['recipe', 'food'] }
    await supervisor.route({ message: 'what is my balance', agents: [bank, travel, edited] }, ctx)
    expect(supervisor.index.embedded).toBe(texts + 1 + edited.examples.length)
  })

  test('a failed embedding is not cached: the next request tries again', async () => {
    let fail = true
    const embedder = fakeEmbedder()
    const embed: Embed = async (inputs, c) => {
      if (fail && inputs.length > 1) throw new Error('router down')
      return embedder.embed(inputs, c)
    }
    const supervisor = new Supervisor({ config, embed, complete: fakeClassifier().complete })
    await expect(supervisor.route({ message: 'what is my balance', agents }, ctx)).rejects.toThrow(
      'router down',
    )
    fail = false
    const decision = await supervisor.route({ message: 'what is my balance', agents }, ctx)
    expect(decision.agentId).toBe('a_bank')
  })
})

describe('similarity', () => {
  test('cosine does not assume normalized vectors', () => {
    expect(cosine([2, 0], [5, 0])).toBe(1)
    expect(cosine([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2, 12)
    expect(cosine([0, 0], [1, 0])).toBe(0)
  })

  test('an agent scores the mean of its k nearest texts', () => {
    const query = [1, 0]
    const vectors = [
      [1, 0],
      [0, 1],
      [1, 1],
    ]
    expect(agentScore(query, vectors, 2)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12)
    expect(agentScore(query, vectors, 10)).toBeCloseTo((1 + Math.SQRT1_2 + 0) / 3, 12)
  })
})
