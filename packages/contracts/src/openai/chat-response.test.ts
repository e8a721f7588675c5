import { Value } from 'typebox/value'
import { expect, test } from 'vitest'
import { ChatCompletionChunk, ChatCompletionResponse } from './chat-response.ts'

const promptTokens = 12
const completionTokens = 5
const usage = {
  prompt_tokens: promptTokens,
  completion_tokens: completionTokens,
  total_tokens: promptTokens + completionTokens,
}

test('a completion with a tool call and usage is valid; a made-up finish_reason is not', () => {
  const response = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'llama-3.1-8b',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        finish_reason: 'tool_calls',
        logprobs: null,
      },
    ],
    usage,
  }
  expect(Value.Errors(ChatCompletionResponse, response)).toEqual([])
  const [choice] = response.choices
  const bad = { ...response, choices: [{ ...choice, finish_reason: 'done' }] }
  expect(Value.Errors(ChatCompletionResponse, bad).map((e) => e.instancePath)).toContain(
    '/choices/0/finish_reason',
  )
})

test('a stream is role, content and tool-call deltas, a finish, and a usage-only last chunk', () => {
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm' }
  const chunks = [
    {
      ...head,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      usage: null,
    },
    { ...head, choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }], usage: null },
    {
      ...head,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
            ],
          },
          finish_reason: null,
        },
      ],
    },
    { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null },
    { ...head, choices: [], usage },
  ]
  for (const chunk of chunks) expect(Value.Errors(ChatCompletionChunk, chunk)).toEqual([])
  const wrongObject = { ...chunks[1], object: 'chat.completion' }
  expect(Value.Check(ChatCompletionChunk, wrongObject)).toBe(false)
  const negativeUsage = { ...head, choices: [], usage: { ...usage, total_tokens: -1 } }
  expect(Value.Errors(ChatCompletionChunk, negativeUsage).map((e) => e.instancePath)).toContain(
    '/usage/total_tokens',
  )
})
