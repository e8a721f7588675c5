import { Value } from 'typebox/value'
import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  type ChatCompletionRequest,
  type ChatMessage,
  type ChatRole,
  ChatCompletionRequest as Schema,
} from './chat-request.ts'

const valid = {
  model: 'llama-3.1-8b',
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this image?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"answer":42}' },
  ],
  temperature: 0.2,
  max_completion_tokens: 256,
  stream: true,
  stream_options: { include_usage: true },
  stop: ['\n\n'],
  tools: [
    {
      type: 'function',
      function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
    },
  ],
  tool_choice: { type: 'function', function: { name: 'lookup' } },
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
  },
  seed: 7,
  logit_bias: { '50256': -100 },
  // Provider-specific fields pass through.
  guided_json: { type: 'object' },
}

function errorPaths(value: unknown): string[] {
  return Value.Errors(Schema, value).map((error) => error.instancePath)
}

test('a full OpenAI request with every message role, tools and provider extras is valid', () => {
  expect(Value.Errors(Schema, valid)).toEqual([])
  expect(Value.Check(Schema, valid)).toBe(true)
})

test('the smallest request is a model and one message', () => {
  expect(Value.Check(Schema, { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).toBe(true)
})

describe('what OpenAI answers 400 for is invalid', () => {
  const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
  test.each([
    ['no model', { messages: base.messages }, ''],
    ['an empty model', { ...base, model: '' }, '/model'],
    ['empty messages', { ...base, messages: [] }, '/messages'],
    ['an unknown role', { ...base, messages: [{ role: 'narrator', content: 'x' }] }, '/messages/0'],
    [
      'a tool message without tool_call_id',
      { ...base, messages: [{ role: 'tool', content: 'x' }] },
      '/messages/0',
    ],
    ['temperature above 2', { ...base, temperature: 2.5 }, '/temperature'],
    ['a fractional max_tokens', { ...base, max_tokens: 1.5 }, '/max_tokens'],
    ['five stop sequences', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, '/stop'],
    ['an unknown tool_choice', { ...base, tool_choice: 'always' }, '/tool_choice'],
    ['an unknown response_format', { ...base, response_format: { type: 'xml' } }, '/response_format'],
  ])('%s', (_name, body, path) => {
    expect(Value.Check(Schema, body)).toBe(false)
    expect(errorPaths(body)).toContain(path)
  })
})

test('the static type narrows messages by role', () => {
  expectTypeOf<Extract<ChatMessage, { role: 'tool' }>['tool_call_id']>().toEqualTypeOf<string>()
  expectTypeOf<ChatCompletionRequest['model']>().toEqualTypeOf<string>()
  const request = valid as unknown as ChatCompletionRequest
  const roles = request.messages.map((message) => message.role)
  expect(roles).toEqual(valid.messages.map((message) => message.role))
})

test('ChatRole is exactly the five roles', () => {
  expectTypeOf<ChatRole>().toEqualTypeOf<'system' | 'developer' | 'user' | 'assistant' | 'tool'>()
  const roles = Schema.properties.messages.items.anyOf.map((message) => message.properties.role.const)
  expect(roles).toEqual(['system', 'developer', 'user', 'assistant', 'tool'])
})

describe('image_url schemes', () => {
  const withImage = (url: string) => ({
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
  })

  test('https and base64 data: image URLs are valid', () => {
    for (const url of [
      'https://example.com/cat.png',
      'HTTPS://example.com/a',
      'data:image/jpeg;base64,/9j/4AAQ',
    ])
      expect(Value.Check(Schema, withImage(url)), url).toBe(true)
  })

  test('any other scheme is refused: an upstream would fetch it from inside the cluster', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_FLUSHALL',
      'data:text/html;base64,PGgxPg==',
      ' https://example.com/leading-space',
    ])
      expect(Value.Check(Schema, withImage(url)), url).toBe(false)
  })
})
