import type { ChatCompletionRequest } from '@switchyard/contracts'
import { startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { oneModel, startRouter } from '../../router-under-test.ts'

// The agent service calls the router with OpenAI's tool-calling fields, and vLLM and OpenAI answer
// them natively: the openai provider must pass them on as they are, and relay the streamed
// tool-call deltas as the upstream sent them.

async function setup() {
  const upstream = await startFakeOpenAI({ models: ['tool-model'] })
  onTestFinished(() => upstream.close())
  // The alias is named like the upstream's model: no `model` rewrite, the bytes pass as they came.
  const router = await startRouter(
    oneModel('tool-model', { provider: 'openai', baseUrl: upstream.url, model: 'tool-model' }),
  )
  return { upstream, router }
}

const tools: ChatCompletionRequest['tools'] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      strict: true,
    },
  },
  { type: 'function', function: { name: 'current_time', parameters: { type: 'object', properties: {} } } },
]

const turn: ChatCompletionRequest['messages'] = [
  { role: 'system', content: 'use tools' },
  { role: 'user', content: 'Weather in Paris, and the time?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'current_time', arguments: '{}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_a', content: '{"celsius":21}' },
  { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '12:00' }] },
]

test('tools, tool_choice, parallel_tool_calls, tool turns and response_format reach the upstream unchanged', async () => {
  const { upstream, router } = await setup()
  const request = {
    model: 'tool-model',
    messages: turn,
    tools,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: false,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'report', schema: { type: 'object' }, strict: true },
    },
  } as const
  for (const stream of [false, true]) {
    const response = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream }),
    })
    expect(response.status).toBe(200)
    await response.text()
    const sent = upstream.requests.at(-1)?.body as Record<string, unknown>
    const { stream: _s, stream_options: _o, ...rest } = sent
    expect(rest).toEqual(request)
  }
})

/**
 * The choice events of an SSE body, parsed, with the per-request ids and times taken out. The
 * usage-only chunk is left out: the router writes its own (README, "How a request goes").
 */
function events(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((event) => event.startsWith('data: ') && event !== 'data: [DONE]')
    .map((event) => JSON.parse(event.slice('data: '.length).replace(/fake\d+/g, 'fake')))
    .filter((chunk) => chunk.choices.length > 0)
    .map(({ created: _created, ...chunk }) => chunk)
}

test('streamed tool-call deltas (two calls in parallel) are relayed as the upstream sent them', async () => {
  const { upstream, router } = await setup()
  upstream.setBehavior({
    toolCalls: [
      { name: 'get_weather', arguments: { city: 'Paris', days: [1, 2] } },
      { name: 'current_time', arguments: {} },
    ],
  })
  const body = { model: 'tool-model', messages: turn.slice(0, 2), tools, stream: true }
  // What the upstream streams for the request the router makes (it always asks for usage).
  const direct = await fetch(`${upstream.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream_options: { include_usage: true } }),
  })
  const upstreamEvents = events(await direct.text())
  const viaRouter = await fetch(`${router.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream_options: { include_usage: true } }),
  })
  const routerEvents = events(await viaRouter.text())
  expect(routerEvents).toEqual(upstreamEvents)
  const deltas = routerEvents.flatMap(
    (e) => (e as { choices: { delta: { tool_calls?: unknown[] } }[] }).choices[0]?.delta.tool_calls ?? [],
  )
  // Per call an opening delta (index, id, name) and at least one arguments fragment.
  expect(deltas.filter((d) => (d as { id?: string }).id !== undefined)).toHaveLength(2)
  expect(deltas.length).toBeGreaterThan(4)

  // The official client puts them back together.
  const final = await router.openai.chat.completions
    .stream({ model: 'tool-model', messages: turn.slice(0, 2), tools })
    .finalChatCompletion()
  const calls = final.choices[0]?.message.tool_calls ?? []
  expect(
    calls.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)]),
  ).toEqual([
    ['get_weather', { city: 'Paris', days: [1, 2] }],
    ['current_time', {}],
  ])
  expect(final.choices[0]?.finish_reason).toBe('tool_calls')
})
