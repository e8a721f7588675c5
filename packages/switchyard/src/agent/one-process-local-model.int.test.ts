// Must show 1 of issue 11, the one-process shape with the real local models: every service in one
// process as `switchyard start` runs them, the router serving SmolLM2-135M-Instruct (`local`) and
// all-MiniLM-L6-v2 from node-llama-cpp with no catalog, reached only through the gateway with an
// API key. A supervisor over three specialists routes a message; the chosen agent calls a
// built-in tool through native tool calling on the GGUF model (the call written under a grammar);
// the answer streams over SSE. The models come from `scripts/fetch-model.sh` (PyPI wheels, cached).
//
// SmolLM2 never called a tool unprompted when we tried (services/agent/README.md), so the clock
// agent sets `tool_choice: current_time`: the router's local provider then starts the answer in
// function-calling mode and the model writes the arguments. Which arguments it writes is its own
// choice (it samples at the local provider's default temperature): the test computes the tool's
// result from the arguments it sees, a time zone that exists or one that does not.
// Integration project (run alone): no external server, but the local models want the CPU.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bootstrapAdmin } from '@switchyard/admin'
import { sseFrames } from '@switchyard/agent/testing'
import type { SqlPool } from '@switchyard/kit'
import { buildTestApp, type TestApp } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { services } from '../targets.ts'

const repo = fileURLToPath(new URL('../../../../', import.meta.url))
const models = join(process.env.SWITCHYARD_CACHE ?? '/var/cache/switchyard', 'models')
const chatModel = join(models, 'smollm2-135m-instruct-q4_1.gguf')
const embeddingModel = join(models, 'all-minilm-l6-v2-q8_0.gguf')

let testApp: TestApp
let key: string

beforeAll(async () => {
  for (const [path, which] of [
    [chatModel, 'smollm2'],
    [embeddingModel, 'minilm'],
  ] as const) {
    if (existsSync(path)) continue
    const printed = execFileSync('bash', [join(repo, 'scripts/fetch-model.sh'), which], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    expect(printed.trim()).toBe(path)
  }
  testApp = await buildTestApp({
    services,
    env: { LLM_ROUTER_LOCAL_MODEL: chatModel, LLM_ROUTER_LOCAL_EMBEDDING_MODEL: embeddingModel },
    listen: true,
  })
  const acme = await bootstrapAdmin(testApp.switchyard.sql as SqlPool, {
    orgName: 'Acme',
    ownerEmail: 'owner@acme.test',
  })
  key = acme.key
}, 300_000)

afterAll(async () => {
  await testApp?.close()
})

/** A request through the gateway with the org's API key. */
const call = (method: string, path: string, body?: unknown) =>
  fetch(`${testApp.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })

const specialists = [
  {
    name: 'clock',
    description: 'Tells the current time, date and weekday in a time zone',
    instructions: 'You tell the time. Call current_time, then say the time it gives in one sentence.',
    tools: ['current_time'],
    tool_choice: 'current_time',
    examples: [
      'what time is it in Tokyo',
      'tell me the current time in Paris',
      'what day of the week is it in New York',
      'is it morning or evening in Sydney right now',
      'current date and time in UTC please',
    ],
  },
  {
    name: 'math',
    description: 'Does arithmetic and unit conversions',
    instructions: 'You calculate. Call calculator, then give the result.',
    tools: ['calculator'],
    tool_choice: 'calculator',
    examples: ['what is 17 times 23', 'compute (4 + 5) * 12', 'square root of 81', 'convert 5 km to miles'],
  },
  {
    name: 'poet',
    description: 'Writes short poems and stories',
    instructions: 'You write short poems.',
    examples: ['write a haiku about autumn', 'a short poem about the sea', 'tell me a story about a dragon'],
  },
]

/** What current_time answers for `timezone` at a time between `from` and `to` (epoch ms), checked. */
function expectTimeResult(result: Record<string, unknown>, timezone: string, from: number, to: number) {
  let valid = true
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
  } catch {
    valid = false
  }
  if (!valid) {
    expect(result).toMatchObject({ ok: false })
    expect(result.content).toBe(
      `unknown time zone ${JSON.stringify(timezone)}: use an IANA name like "America/New_York"`,
    )
    return
  }
  expect(result.ok).toBe(true)
  const answer = JSON.parse(result.content as string) as Record<string, string>
  expect(answer.timezone).toBe(timezone)
  const utc = Date.parse(answer.utc as string)
  expect(utc).toBeGreaterThanOrEqual(from)
  expect(utc).toBeLessThanOrEqual(to)
  // The local time with its offset is the same instant, to the second.
  expect(Date.parse(answer.local as string)).toBe(Math.floor(utc / 1000) * 1000)
  expect(answer.weekday).toBe(
    new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'long' }).format(utc),
  )
}

test('a supervisor over three specialists routes a time question to the clock, which calls current_time on the local model, and the answer streams', async () => {
  const ids: Record<string, string> = {}
  for (const agent of specialists) {
    const res = await call('POST', '/v1/agents', { ...agent, limits: { max_turns: 4 } })
    expect(res.status, await res.clone().text()).toBe(200)
    const created = (await res.json()) as { id: string; model: string }
    expect(created.model).toBe('local')
    ids[agent.name] = created.id
  }

  const from = Date.now()
  const res = await call('POST', '/v1/runs', {
    input: 'What is the time now in Europe/Berlin?',
    stream: true,
  })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const events = sseFrames(await res.text())
  const to = Date.now()
  const names = events.map((e) => e.event)
  console.log(`[agent one-process] events: ${names.join(' ')}`)

  const route = events.find((e) => e.event === 'route')?.data
  console.log(`[agent one-process] route: ${JSON.stringify(route)}`)
  expect(route).toMatchObject({ agentId: ids.clock })
  expect(['embedding', 'classifier', 'fallback']).toContain(route?.stage)

  const toolCall = events.find((e) => e.event === 'tool.call')?.data
  const toolResult = events.find((e) => e.event === 'tool.result')?.data
  console.log(`[agent one-process] ${JSON.stringify(toolCall)} -> ${JSON.stringify(toolResult)}`)
  expect(toolCall).toMatchObject({ name: 'current_time' })
  expect(toolResult).toMatchObject({ name: 'current_time', callId: toolCall?.callId })
  const args = toolCall?.arguments as { timezone?: string }
  expectTimeResult(toolResult as Record<string, unknown>, args.timezone ?? 'UTC', from, to)

  // The model's turn before the call, the call and its result, then the answer as deltas, then done.
  expect(names.slice(0, 3)).toEqual(['run.start', 'route', 'step'])
  expect(names.indexOf('tool.result')).toBeGreaterThan(names.indexOf('tool.call'))
  const deltas = events.filter((e) => e.event === 'message.delta')
  expect(deltas.length).toBeGreaterThan(0)
  expect(names.indexOf('message.delta')).toBeGreaterThan(names.indexOf('tool.result'))
  const done = events.at(-1)
  console.log(`[agent one-process] answer: ${JSON.stringify(done?.data.output)}`)
  expect(done).toMatchObject({ event: 'done', data: { status: 'succeeded' } })
  expect(deltas.map((e) => e.data.delta).join('')).toBe(done?.data.output)
  expect(String(done?.data.output).trim()).not.toBe('')

  // Stored: the route on the run, the tool step among its steps.
  const runId = events[0]?.data.runId as string
  const stored = (await (await call('GET', `/v1/runs/${runId}`)).json()) as {
    status: string
    agent_id: string
    route: { agentId: string }
    steps: { type: string; data: { name?: string } }[]
  }
  expect(stored).toMatchObject({ status: 'succeeded', agent_id: ids.clock, route: { agentId: ids.clock } })
  expect(stored.steps.filter((s) => s.type === 'tool').map((s) => s.data.name)).toEqual(['current_time'])
}, 600_000)
