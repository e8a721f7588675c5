// Must show 1 of issue 11, the production half: gateway, admin, llm-router and agent each a target
// of its own on the real PostgreSQL, Kafka and Redis, reached over HTTP, with the fake upstream
// as the models. Through the gateway with an API key, a supervisor over three specialists routes a
// message (stage 1 on the fake's embeddings through the router), the chosen agent calls the
// built-in calculator (its tool_choice makes the fake call it, with the message as the
// expression), and the answer, written by the fake from the tool's result, streams over SSE.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sseFrames } from '@switchyard/agent/testing'
import { type FakeUpstream, startFakeOpenAI } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type AgentTargets, startAgentTargets } from './agent-targets.ts'
import { type Edge, startEdge } from './edge-targets.ts'

let upstream: FakeUpstream
let targets: AgentTargets
let edge: Edge
let dir: string

beforeAll(async () => {
  upstream = await startFakeOpenAI({
    models: ['fake-chat', 'fake-embed'],
    behavior: {
      // The turn after the tool's result answers with it; any other answers as the fake does.
      reply: (input) => {
        const result = input.messages.findLast((m) => m.role === 'tool')
        return result === undefined
          ? `echo: ${input.lastUserText}`
          : `It is ${JSON.parse(result.content).result}.`
      },
    },
  })
  const deployment = (model: string) => ({
    deployments: [{ id: `${model}-1`, provider: 'openai', baseUrl: upstream.url, model }],
  })
  targets = await startAgentTargets(
    { 'fake-chat': deployment('fake-chat'), 'fake-embed': deployment('fake-embed') },
    { AGENT_SUPERVISOR_EMBEDDING_MODEL: 'fake-embed', AGENT_SUPERVISOR_CLASSIFIER_MODEL: 'fake-chat' },
  )
  const agent = await targets.startReplica({ tools: 'builtin' })
  dir = await mkdtemp(join(tmpdir(), 'agent-edge-'))
  edge = await startEdge({ agentUrl: agent.url, keys: targets.keys, dir })
}, 300_000)

afterAll(async () => {
  await edge?.close()
  await targets?.close()
  await upstream?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** A request through the gateway with the org's API key. */
const call = (method: string, path: string, body?: unknown) =>
  fetch(`${edge.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${edge.apiKey}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })

test('through the gateway: the supervisor routes to the math agent, which calls the built-in calculator, and the answer streams', async () => {
  const specialists = [
    {
      name: 'math',
      description: 'Does arithmetic',
      tools: ['calculator'],
      tool_choice: 'calculator',
      examples: ['6 * 7', '12 * 3', '(4 + 5) * 12', '81 / 9'],
    },
    {
      name: 'clock',
      description: 'Tells the time',
      tools: ['current_time'],
      examples: ['what time is it in Paris'],
    },
    { name: 'poet', description: 'Writes poems', examples: ['write a poem about the sea'] },
  ]
  const ids: Record<string, string> = {}
  for (const agent of specialists) {
    const res = await call('POST', '/v1/agents', {
      ...agent,
      instructions: `You are ${agent.name}.`,
      model: 'fake-chat',
    })
    expect(res.status, await res.clone().text()).toBe(200)
    ids[agent.name] = ((await res.json()) as { id: string }).id
  }

  const [a, b] = [6, 7]
  const before = upstream.requests.length
  const res = await call('POST', '/v1/runs', { input: `${a} * ${b}`, stream: true })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const events = sseFrames(await res.text())
  const names = events.map((e) => e.event)

  expect(events.find((e) => e.event === 'route')?.data).toMatchObject({
    agentId: ids.math,
    stage: 'embedding',
  })
  expect(events.find((e) => e.event === 'tool.call')?.data).toMatchObject({
    name: 'calculator',
    arguments: { expression: `${a} * ${b}` },
  })
  const result = events.find((e) => e.event === 'tool.result')?.data
  expect(result).toMatchObject({ name: 'calculator', ok: true })
  expect(JSON.parse(result?.content as string)).toEqual({ expression: `${a} * ${b}`, result: String(a * b) })
  const deltas = events.filter((e) => e.event === 'message.delta').map((e) => e.data.delta)
  expect(deltas.length).toBeGreaterThan(0)
  expect(deltas.join('')).toBe(`It is ${a * b}.`)
  expect(names.indexOf('message.delta')).toBeGreaterThan(names.indexOf('tool.result'))
  expect(events.at(-1)).toMatchObject({
    event: 'done',
    data: { status: 'succeeded', output: `It is ${a * b}.` },
  })

  // The upstream saw the message embedded, then the forced call, then the answer with the result.
  const seen = upstream.requests.slice(before)
  expect(seen.some((r) => r.path === '/v1/embeddings')).toBe(true)
  const chats = seen
    .filter((r) => r.path === '/v1/chat/completions')
    .map((r) => r.body as Record<string, unknown>)
  expect(chats.map((c) => c.tool_choice)).toEqual([
    { type: 'function', function: { name: 'calculator' } },
    undefined,
  ])

  // Stored on PostgreSQL under the org the API key belongs to, and readable through the gateway.
  const runId = events[0]?.data.runId as string
  const { rows } = await targets.sql.query<{ org_id: string; status: string; steps: number }>(
    `SELECT org_id, status, (SELECT count(*)::int FROM run_steps s WHERE s.run_id = r.id) AS steps
       FROM runs r WHERE id = $1`,
    [runId],
  )
  expect(rows).toEqual([{ org_id: edge.orgId, status: 'succeeded', steps: 3 }])
  const stored = (await (await call('GET', `/v1/runs/${runId}`)).json()) as Record<string, unknown>
  expect(stored).toMatchObject({ status: 'succeeded', agent_id: ids.math, output: `It is ${a * b}.` })
}, 120_000)
