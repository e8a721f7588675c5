// The one-process shape (`switchyard start`): chat reaches agent through the runtime's in-process
// transport, and agent's loop the router over a fake upstream that scripts a calculator call.
import { agentService } from '@switchyard/agent'
import { chatService } from '@switchyard/chat'
import { llmRouterService } from '@switchyard/llm-router'
import { buildTestApp, type FakeChatInput, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { MODEL, readAll, sseReader, streamedText } from './chat-under-test.ts'

test("in one process a conversation naming an agent runs its tool call and stores the run's output", async () => {
  const upstream = await startFakeOpenAI({ models: [MODEL] })
  onTestFinished(() => upstream.close())
  const testApp = await buildTestApp({
    services: { 'llm-router': llmRouterService, chat: chatService, agent: agentService },
    env: {
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          [MODEL]: {
            deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: MODEL }],
          },
        },
      }),
      AGENT_DEFAULT_MODEL: MODEL,
    },
    listen: true,
  })
  onTestFinished(() => testApp.close())
  const [agentUrl, chatUrl] = await Promise.all([testApp.serve('agent'), testApp.serve('chat')])
  const post = async (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { ...(await testApp.headers()), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  const agent = await post(`${agentUrl}/v1/agents`, {
    name: 'calc',
    instructions: 'Add.',
    tools: ['calculator'],
  })
  expect(agent.status).toBe(200)
  const conversation = (await (await post(`${chatUrl}/v1/conversations`, { agent: 'calc' })).json()) as {
    id: string
  }
  upstream.setBehavior({
    toolCalls: (input: FakeChatInput) =>
      input.messages.at(-1)?.role === 'tool'
        ? false
        : [{ name: 'calculator', arguments: { expression: '40 + 2' } }],
    reply: 'It is 42.',
  })
  const res = await post(`${chatUrl}/v1/conversations/${conversation.id}/messages`, {
    content: 'add 40 and 2',
  })
  const events = await readAll(sseReader(res))
  expect(events.map((e) => e.event)).toEqual(
    expect.arrayContaining(['run.start', 'tool.call', 'tool.result', 'done']),
  )
  expect(
    JSON.stringify(JSON.parse(events.find((e) => e.event === 'tool.result')?.data ?? '{}').content),
  ).toContain('42')
  expect(streamedText(events)).toBe('It is 42.')
  const { messageId, runId } = JSON.parse(events[0]?.data ?? '{}')
  const stored = await (
    await fetch(`${chatUrl}/v1/conversations/${conversation.id}/messages/${messageId}`, {
      headers: await testApp.headers(),
    })
  ).json()
  expect(stored).toMatchObject({ status: 'complete', content: 'It is 42.', runId })
}, 60_000)
