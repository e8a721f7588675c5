// Conversations an agent answers, through the `switchyard start` path with a scripted agent in
// place of agent's client: the run's events relayed through chat's stream, the stored answer, the
// thread that follows the branch, approvals, stop, failures and bad input that stores nothing.
import { alice, eve } from '@switchyard/testing'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import {
  type ChatUnderTest,
  readAll,
  type SseEvent,
  sseReader,
  startChat,
  streamedText,
  untilDeltas,
} from './chat-under-test.ts'
import { ScriptedAgent, toolCallingRun } from './scripted-agent.ts'

const agent = new ScriptedAgent()
agent.agents.push(
  { orgId: alice.orgId, id: 'agent_helper', name: 'helper' },
  { orgId: eve.orgId, id: 'agent_theirs', name: 'theirs' },
)

let chat: ChatUnderTest
beforeAll(async () => {
  chat = await startChat({}, { agent })
}, 60_000)
afterAll(async () => chat?.close())
beforeEach(() => {
  agent.script = toolCallingRun
  agent.down = null
})

const data = (event: SseEvent | undefined) => JSON.parse(event?.data ?? 'null')
const named = (events: SseEvent[], name: string) => events.filter((e) => e.event === name)

async function newConversation(body: Record<string, unknown>): Promise<{ id: string; agent: string }> {
  const res = await chat.call('POST', '/v1/conversations', { body })
  expect(res.status).toBe(201)
  return res.json()
}

async function send(conversationId: string, content: string, query = '') {
  const res = await chat.call('POST', `/v1/conversations/${conversationId}/messages${query}`, {
    body: { content },
  })
  expect(res.status).toBe(200)
  return readAll(sseReader(res))
}

const messageOf = async (conversationId: string, messageId: string) =>
  (await chat.call('GET', `/v1/conversations/${conversationId}/messages/${messageId}`)).json()

const conversationCount = async () =>
  (await (await chat.call('GET', '/v1/conversations?limit=100')).json()).data.length

test('a conversation names an agent by name and keeps its id; its message runs the agent, relaying the tool call and streaming the answer', async () => {
  const conversation = await newConversation({ agent: 'helper', title: 'sums' })
  expect(conversation).toMatchObject({ agent: 'agent_helper', model: null })
  const before = chat.upstream.requests.length

  const events = await send(conversation.id, 'add 2 and 3')
  const run = agent.runs.at(-1)
  expect(run).toMatchObject({
    orgId: alice.orgId,
    agent: 'agent_helper',
    request: { input: 'add 2 and 3', background: true },
  })
  expect(run?.request.thread_id).toBeUndefined()
  const runId = run?.view.id
  expect(events.map((e) => e.event)).toEqual([
    'message.start',
    'run.start',
    'tool.call',
    'tool.result',
    'message.delta',
    'message.delta',
    'usage',
    'done',
  ])
  const start = data(events[0])
  expect(start).toMatchObject({ runId, agent: 'agent_helper', model: null })
  expect(data(named(events, 'tool.call')[0])).toMatchObject({
    messageId: start.messageId,
    runId,
    name: 'add',
    callId: 'call_1',
  })
  expect(data(named(events, 'tool.result')[0])).toMatchObject({ runId, ok: true, content: '5' })
  expect(streamedText(events)).toBe('The sum is 5.')
  expect(data(named(events, 'usage')[0])).toMatchObject({
    inputTokens: 40,
    outputTokens: 9,
    estimated: false,
  })
  expect(data(events.at(-1))).toMatchObject({ status: 'complete', finishReason: 'stop' })

  const stored = await messageOf(conversation.id, start.messageId)
  expect(stored).toMatchObject({ content: 'The sum is 5.', status: 'complete', runId, role: 'assistant' })
  // No model was asked: the agent answered.
  expect(chat.upstream.requests.length).toBe(before)
  // chat.messages.v1 carries the answer as for a model's.
  await expect.poll(() => chat.events.some((e) => e.messageId === start.messageId)).toBe(true)
})

test('follow-ups continue the thread of the answer above them, on every branch; the supervisor gets `auto`', async () => {
  const conversation = await newConversation({ agent: 'auto' })
  expect(conversation.agent).toBe('auto')
  const first = await send(conversation.id, 'hello')
  const firstRun = agent.runs.at(-1)
  expect(firstRun?.agent).toBe('auto')
  const second = await send(conversation.id, 'and then?')
  expect(agent.runs.at(-1)?.request).toMatchObject({ input: 'and then?', thread_id: firstRun?.view.id })

  // Regenerating the second answer follows the first run again; editing the first question starts afresh.
  const secondAnswer = data(second[0]).messageId
  const regenerated = await chat.call(
    'POST',
    `/v1/conversations/${conversation.id}/messages/${secondAnswer}/regenerate`,
  )
  expect(regenerated.status).toBe(200)
  await readAll(sseReader(regenerated))
  expect(agent.runs.at(-1)?.request).toMatchObject({ input: 'and then?', thread_id: firstRun?.view.id })
  const firstQuestion = data(first[0]).parentId
  const edited = await chat.call(
    'POST',
    `/v1/conversations/${conversation.id}/messages/${firstQuestion}/edit`,
    {
      body: { content: 'hello again' },
    },
  )
  await readAll(sseReader(edited))
  expect(agent.runs.at(-1)?.request.thread_id).toBeUndefined()
  expect(agent.runs.at(-1)?.request.input).toBe('hello again')
})

test('in the OpenAI format an agent answer is plain chunks: the text, then [DONE]', async () => {
  const conversation = await newConversation({ agent: 'agent_helper' })
  const events = await send(conversation.id, 'add', '?format=openai')
  const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data))
  expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true)
  expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('The sum is 5.')
  expect(events.at(-1)?.data).toBe('[DONE]')
})

test('a run that pauses for approval ends the message as awaiting approval, with the run and call ids', async () => {
  agent.script = () => ({
    events: [
      { event: 'run.start', data: {} },
      { event: 'tool.call', data: { callId: 'call_9', name: 'delete_everything', arguments: {} } },
      {
        event: 'approval.required',
        data: { calls: [{ callId: 'call_9', name: 'delete_everything', arguments: '{}' }] },
      },
    ],
    status: 'awaiting_approval',
    pending: [{ call_id: 'call_9', name: 'delete_everything', arguments: '{}' }],
  })
  const conversation = await newConversation({ agent: 'helper' })
  const events = await send(conversation.id, 'clean up')
  const runId = agent.runs.at(-1)?.view.id
  expect(events.map((e) => e.event)).toEqual([
    'message.start',
    'run.start',
    'tool.call',
    'approval.required',
    'usage',
    'done',
  ])
  expect(data(named(events, 'approval.required')[0])).toMatchObject({ runId, calls: [{ callId: 'call_9' }] })
  const done = data(events.at(-1))
  expect(done).toMatchObject({
    status: 'awaiting_approval',
    finishReason: 'approval_required',
    runId,
    approvals: [{ callId: 'call_9', name: 'delete_everything' }],
  })
  expect(await messageOf(conversation.id, done.messageId)).toMatchObject({
    status: 'awaiting_approval',
    runId,
  })

  // A follow-up while the run still waits starts a new thread: the paused transcript ends mid-turn.
  await send(conversation.id, 'never mind')
  expect(agent.runs.at(-1)?.request.thread_id).toBeUndefined()
})

test("a stop cancels the agent's run and keeps the text so far", async () => {
  agent.script = () => ({
    events: [{ event: 'message.delta', data: { delta: 'Working on it' } }],
    status: 'running',
    hold: true,
  })
  const conversation = await newConversation({ agent: 'helper' })
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'go' },
  })
  const reader = sseReader(res)
  const seen = await untilDeltas(reader, 1)
  const messageId = data(seen[0]).messageId
  const run = agent.runs.at(-1)
  const stopped = await chat.call('POST', `/v1/conversations/${conversation.id}/messages/${messageId}/stop`)
  expect(stopped.status).toBe(200)
  expect((await stopped.json()).message).toMatchObject({ status: 'stopped', content: 'Working on it' })
  expect(run?.cancelled).toBe(true)
  expect(data((await readAll(reader)).at(-1))).toMatchObject({ status: 'stopped' })
})

test("a run that fails ends the message with the agent's code", async () => {
  agent.script = () => ({
    events: [
      { event: 'run.start', data: {} },
      {
        event: 'error',
        data: { error: { code: 'AGENT_RUN_TURN_LIMIT', message: 'too many turns', type: 'server_error' } },
      },
    ],
    status: 'failed',
  })
  const conversation = await newConversation({ agent: 'helper' })
  const events = await send(conversation.id, 'loop forever')
  const last = events.at(-1)
  expect(last?.event).toBe('error')
  expect(data(last).error.code).toBe('AGENT_RUN_TURN_LIMIT')
  expect(await messageOf(conversation.id, data(last).messageId)).toMatchObject({
    status: 'failed',
    errorCode: 'AGENT_RUN_TURN_LIMIT',
  })
})

test("tenancy: another org's agent, by name or id, is a 400 CHAT_ERR_UNKNOWN_AGENT and nothing is stored", async () => {
  const before = await conversationCount()
  for (const name of ['theirs', 'agent_theirs', 'nobody']) {
    const res = await chat.call('POST', '/v1/conversations', { body: { agent: name } })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({ code: 'CHAT_ERR_UNKNOWN_AGENT', param: 'agent' })
  }
  expect(await conversationCount()).toBe(before)
  // eve's own agent is hers to use.
  const res = await chat.call('POST', '/v1/conversations', { as: eve, body: { agent: 'theirs' } })
  expect(res.status).toBe(201)
})

test('bad input stores nothing: an agent with a model or a system prompt, a model change; agent down is a 503', async () => {
  const before = await conversationCount()
  for (const body of [
    { agent: 'helper', model: 'fake-chat' },
    { agent: 'helper', systemPrompt: 'Be brief.' },
    { agent: '' },
  ]) {
    const res = await chat.call('POST', '/v1/conversations', { body })
    expect(res.status).toBe(400)
  }
  agent.down = new Error('connect ECONNREFUSED')
  const down = await chat.call('POST', '/v1/conversations', { body: { agent: 'helper' } })
  expect(down.status).toBe(503)
  expect((await down.json()).error.code).toBe('CHAT_ERR_AGENT_UNAVAILABLE')
  agent.down = null
  expect(await conversationCount()).toBe(before)

  const conversation = await newConversation({ agent: 'helper' })
  const patch = await chat.call('PATCH', `/v1/conversations/${conversation.id}`, {
    body: { model: 'fake-chat' },
  })
  expect(patch.status).toBe(400)
  expect((await patch.json()).error.code).toBe('CHAT_ERR_AGENT_CONFLICT')
})

test('an agent gone since the conversation began is a 400 at the message, and the message is not stored', async () => {
  const temporary = { orgId: alice.orgId, id: 'agent_temp', name: 'temp' }
  agent.agents.push(temporary)
  const conversation = await newConversation({ agent: 'temp' })
  agent.agents.splice(agent.agents.indexOf(temporary), 1)
  const res = await chat.call('POST', `/v1/conversations/${conversation.id}/messages`, {
    body: { content: 'hi' },
  })
  expect(res.status).toBe(400)
  expect((await res.json()).error.code).toBe('CHAT_ERR_UNKNOWN_AGENT')
  const messages = await (await chat.call('GET', `/v1/conversations/${conversation.id}/messages`)).json()
  expect(messages.data).toEqual([])
})
