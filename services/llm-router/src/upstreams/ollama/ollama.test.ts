import {
  countPromptTokens,
  countTokens,
  defaultReply,
  fakeEmbedding,
  startFakeOllama,
} from '@switchyard/testing'
import type OpenAI from 'openai'
import { describe, expect, onTestFinished, test } from 'vitest'
import { expectVectorClose, startRouter } from '../../router-under-test.ts'

async function ollamaUpstream() {
  const upstream = await startFakeOllama({ models: ['llama3.2', 'nomic-embed'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter({
    models: {
      local: {
        deployments: [{ id: 'ollama-a', provider: 'ollama', baseUrl: upstream.url, model: 'llama3.2' }],
      },
      embed: {
        deployments: [{ id: 'ollama-e', provider: 'ollama', baseUrl: upstream.url, model: 'nomic-embed' }],
      },
    },
  })
  return { upstream, router }
}

const question = 'tell me about rivers'
const messages = [
  { role: 'system' as const, content: 'be brief' },
  { role: 'user' as const, content: question },
]
const reply = defaultReply({ model: 'llama3.2', messages, lastUserText: question })

describe('the ollama provider translates OpenAI to the native API and back', () => {
  test('chat: a native /api/chat call answered as a chat.completion with usage from the eval counts', async () => {
    const { upstream, router } = await ollamaUpstream()
    const completion = await router.openai.chat.completions.create({
      model: 'local',
      messages,
      max_tokens: 50,
      temperature: 0.3,
      stop: ['\n\n'],
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.model).toBe('local')
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: reply })
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    const prompt = countPromptTokens(messages)
    expect(completion.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: countTokens(reply),
      total_tokens: prompt + countTokens(reply),
    })
    const sent = upstream.requests[0]
    expect(sent?.path).toBe('/api/chat')
    expect(sent?.body).toMatchObject({
      model: 'llama3.2',
      stream: false,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: question },
      ],
      options: { num_predict: 50, temperature: 0.3, stop: ['\n\n'] },
    })
  })

  test('max tokens cut the answer: finish_reason length', async () => {
    const { router } = await ollamaUpstream()
    const completion = await router.openai.chat.completions.create({
      model: 'local',
      messages,
      max_tokens: 1,
    })
    expect(completion.choices[0]?.finish_reason).toBe('length')
    expect(completion.usage?.completion_tokens).toBe(1)
  })

  test('stream: NDJSON becomes SSE chunks, with the usage chunk only when asked', async () => {
    const { router } = await ollamaUpstream()
    for (const includeUsage of [false, true]) {
      const stream = await router.openai.chat.completions.create({
        model: 'local',
        messages,
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
      expect(text).toBe(reply)
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant')
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1)
      const finishes = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)
      expect(finishes).toEqual(['stop'])
      const usage = chunks.filter((c) => c.usage)
      if (includeUsage) {
        const prompt = countPromptTokens(messages)
        expect(usage.map((c) => c.usage)).toEqual([
          {
            prompt_tokens: prompt,
            completion_tokens: countTokens(reply),
            total_tokens: prompt + countTokens(reply),
          },
        ])
      } else {
        expect(usage).toEqual([])
      }
    }
  })

  test('tools: definitions go native, calls come back with ids and JSON-string arguments, results carry the tool name', async () => {
    const { upstream, router } = await ollamaUpstream()
    upstream.setBehavior({ toolCalls: [{ name: 'lookup', arguments: { q: 'rivers', limit: 3 } }] })
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ]
    const completion = await router.openai.chat.completions.create({ model: 'local', messages, tools })
    const call = completion.choices[0]?.message.tool_calls?.[0]
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls')
    expect(call?.id).toMatch(/^call_/)
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      q: 'rivers',
      limit: 3,
    })
    expect(upstream.requests[0]?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'lookup' } }],
    })

    const streamed = await router.openai.chat.completions
      .stream({ model: 'local', messages, tools })
      .finalChatCompletion()
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0]
    expect(streamedCall?.type === 'function' && streamedCall.function.name).toBe('lookup')
    expect(streamedCall?.type === 'function' && JSON.parse(streamedCall.function.arguments)).toEqual({
      q: 'rivers',
      limit: 3,
    })

    // The tool's answer goes back as a native tool message naming the function.
    upstream.setBehavior({})
    await router.openai.chat.completions.create({
      model: 'local',
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: call ? [call] : [] },
        { role: 'tool', tool_call_id: call?.id ?? '', content: '{"rivers":["Seine"]}' },
      ],
    })
    const sent = upstream.requests.at(-1)?.body as { messages: unknown[] }
    expect(sent.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'lookup', arguments: { q: 'rivers', limit: 3 } } }],
      },
      { role: 'tool', content: '{"rivers":["Seine"]}', tool_name: 'lookup' },
    ])
  })

  test('tools: parallel calls get their own index and id; parallel_tool_calls false keeps the first', async () => {
    const { upstream, router } = await ollamaUpstream()
    upstream.setBehavior({
      toolCalls: [
        { name: 'lookup', arguments: { q: 'rivers' } },
        { name: 'lookup', arguments: { q: 'lakes' } },
      ],
    })
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } },
      { type: 'function' as const, function: { name: 'other', parameters: { type: 'object' } } },
    ]
    const argsOf = (calls: OpenAI.ChatCompletionMessageToolCall[] | undefined) =>
      (calls ?? []).map((c) => c.type === 'function' && JSON.parse(c.function.arguments))
    const whole = await router.openai.chat.completions.create({ model: 'local', messages, tools })
    const wholeCalls = whole.choices[0]?.message.tool_calls
    expect(argsOf(wholeCalls)).toEqual([{ q: 'rivers' }, { q: 'lakes' }])
    expect(new Set(wholeCalls?.map((c) => c.id)).size).toBe(2)
    const streamed = await router.openai.chat.completions
      .stream({ model: 'local', messages, tools })
      .finalChatCompletion()
    expect(argsOf(streamed.choices[0]?.message.tool_calls)).toEqual([{ q: 'rivers' }, { q: 'lakes' }])

    const single = { model: 'local', messages, tools, parallel_tool_calls: false }
    const one = await router.openai.chat.completions.create(single)
    expect(argsOf(one.choices[0]?.message.tool_calls)).toEqual([{ q: 'rivers' }])
    const oneStreamed = await router.openai.chat.completions.stream(single).finalChatCompletion()
    expect(argsOf(oneStreamed.choices[0]?.message.tool_calls)).toEqual([{ q: 'rivers' }])
    expect(oneStreamed.choices[0]?.finish_reason).toBe('tool_calls')
  })

  test('a named tool_choice sends only that tool; none sends no tools; json_schema is the format', async () => {
    const { upstream, router } = await ollamaUpstream()
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } },
      { type: 'function' as const, function: { name: 'other', parameters: { type: 'object' } } },
    ]
    await router.openai.chat.completions.create({
      model: 'local',
      messages,
      tools,
      tool_choice: { type: 'function', function: { name: 'other' } },
    })
    const named = upstream.requests.at(-1)?.body as { tools: { function: { name: string } }[] }
    expect(named.tools.map((t) => t.function.name)).toEqual(['other'])
    await router.openai.chat.completions.create({ model: 'local', messages, tools, tool_choice: 'none' })
    expect(upstream.requests.at(-1)?.body).not.toHaveProperty('tools')

    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] }
    const shaped = await router.openai.chat.completions.create({
      model: 'local',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema } },
    })
    expect(upstream.requests.at(-1)?.body).toMatchObject({ format: schema })
    expect(typeof JSON.parse(shaped.choices[0]?.message.content ?? '').answer).toBe('string')
  })

  test('JSON mode asks for format json', async () => {
    const { upstream, router } = await ollamaUpstream()
    const completion = await router.openai.chat.completions.create({
      model: 'local',
      messages,
      response_format: { type: 'json_object' },
    })
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ reply })
    expect(upstream.requests[0]?.body).toMatchObject({ format: 'json' })
  })

  test('embeddings: one input and a batch through /api/embed, floats and base64', async () => {
    const { upstream, router } = await ollamaUpstream()
    const single = await router.openai.embeddings.create({
      model: 'embed',
      input: 'green river',
      encoding_format: 'float',
    })
    expect(single.model).toBe('embed')
    expect(single.data).toHaveLength(1)
    const expected = fakeEmbedding('green river', 64)
    expectVectorClose(single.data[0]?.embedding, expected)
    expect(single.usage).toEqual({
      prompt_tokens: countTokens('green river'),
      total_tokens: countTokens('green river'),
    })

    const inputs = ['one river', 'two mountains', 'three lakes']
    // The official client asks for base64 by default and decodes it.
    const batch = await router.openai.embeddings.create({ model: 'embed', input: inputs })
    expect(batch.data.map((d) => d.index)).toEqual([0, 1, 2])
    for (const [i, d] of batch.data.entries()) {
      const want = fakeEmbedding(inputs[i] as string, 64)
      expectVectorClose(d.embedding, want)
    }
    expect(upstream.requests.at(-1)).toMatchObject({
      path: '/api/embed',
      body: { model: 'nomic-embed', input: inputs },
    })
  })
})
