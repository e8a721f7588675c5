import { type Attributes, type Span, type SpanStatus, type Tracer, trace } from '@opentelemetry/api'
import { countPromptTokens, countTokens, startFakeOpenAI } from '@switchyard/testing'
import { expect, onTestFinished, test, vi } from 'vitest'
import { startRouter } from '../router-under-test.ts'

/** A tracer that records what the router sets: enough of the API for a span's life. */
function recordingTracer() {
  const ended: { name: string; attributes: Attributes; status: SpanStatus | undefined }[] = []
  const tracer = {
    startSpan(name: string) {
      const attributes: Attributes = {}
      let status: SpanStatus | undefined
      const span = {
        isRecording: () => true,
        setAttribute(key: string, value: unknown) {
          attributes[key] = value as Attributes[string]
          return span
        },
        setStatus(s: SpanStatus) {
          status = s
          return span
        },
        end() {
          ended.push({ name, attributes, status })
        },
      }
      return span as unknown as Span
    },
  } as unknown as Tracer
  return { tracer, ended }
}

test('each request has a GenAI span: request and response model, system, token usage', async () => {
  const { tracer, ended } = recordingTracer()
  trace.setGlobalTracerProvider({ getTracer: () => tracer })
  onTestFinished(() => trace.disable())
  const upstream = await startFakeOpenAI({ models: ['upstream-name'] })
  onTestFinished(() => upstream.close())
  const router = await startRouter({
    models: {
      chat: {
        deployments: [{ id: 'dep', provider: 'openai', baseUrl: upstream.url, model: 'upstream-name' }],
      },
    },
  })
  const messages = [{ role: 'user' as const, content: 'hello span' }]
  await router.openai.chat.completions.create({ model: 'chat', messages, max_tokens: 20, temperature: 0.5 })
  await vi.waitFor(() => expect(ended).toHaveLength(1))
  expect(ended[0]).toEqual({
    name: 'chat chat',
    status: undefined,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chat',
      'gen_ai.request.max_tokens': 20,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.system': 'openai',
      'gen_ai.response.model': 'upstream-name',
      'switchyard.deployment': 'dep',
      'gen_ai.usage.input_tokens': countPromptTokens(messages),
      'gen_ai.usage.output_tokens': countTokens('echo: hello span'),
      'switchyard.attempts': 1,
    },
  })
})
