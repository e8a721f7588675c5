import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createLogger } from './logger.ts'

type Line = Record<string, unknown>

function capture() {
  const lines: Line[] = []
  const destination = { write: (chunk: string) => void lines.push(JSON.parse(chunk) as Line) }
  return { lines, destination }
}

const provider = new TracerProvider()
const contextManager = new AsyncLocalStorageContextManager()

beforeAll(() => {
  // A real SDK tracer and the async-local-storage context manager, as NodeSDK installs them.
  context.setGlobalContextManager(contextManager.enable())
})
afterAll(async () => {
  context.disable()
  await provider.shutdown()
})

test('every line carries the service and a level label', () => {
  const { lines, destination } = capture()
  createLogger({ name: 'chat', destination }).info({ conversationId: 'c1' }, 'stored')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({ service: 'chat', level: 'info', msg: 'stored', conversationId: 'c1' })
  expect(lines[0]).not.toHaveProperty('trace_id')
})

test('inside an active span a line carries its trace_id and span_id', () => {
  const { lines, destination } = capture()
  const logger = createLogger({ name: 'llm-router', destination })
  const tracer = provider.getTracer('test')
  const ids = tracer.startActiveSpan('route', (span) => {
    logger.info('inside')
    span.end()
    return span.spanContext()
  })
  logger.info('outside')
  expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/)
  expect(lines[0]).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId })
  expect(lines[1]?.msg).toBe('outside')
  expect(lines[1]).not.toHaveProperty('trace_id')
  expect(trace.getActiveSpan()).toBeUndefined()
})

test('a child span logs its own span_id under the same trace_id', async () => {
  const { lines, destination } = capture()
  const logger = createLogger({ name: 'rag', destination })
  const tracer = provider.getTracer('test')
  const [parent, child] = await tracer.startActiveSpan('parent', async (parentSpan) => {
    const childIds = await tracer.startActiveSpan('child', async (childSpan) => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      logger.info('child')
      childSpan.end()
      return childSpan.spanContext()
    })
    parentSpan.end()
    return [parentSpan.spanContext(), childIds] as const
  })
  expect(child.traceId).toBe(parent.traceId)
  expect(lines[0]).toMatchObject({ trace_id: parent.traceId, span_id: child.spanId })
  expect(child.spanId).not.toBe(parent.spanId)
})

test('credentials are redacted', () => {
  const { lines, destination } = capture()
  const logger = createLogger({ name: 'gateway', destination })
  const secret = 'sk-live-123'
  logger.info(
    {
      req: {
        method: 'GET',
        headers: { authorization: `Bearer ${secret}`, cookie: `sid=${secret}`, accept: '*/*' },
      },
    },
    'request',
  )
  logger.info({ upstream: { url: 'http://vllm', apiKey: secret }, apiKey: secret }, 'config')
  const text = JSON.stringify(lines)
  expect(text).not.toContain(secret)
  expect(lines[0]).toMatchObject({
    req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
  })
  expect(lines[1]).toMatchObject({
    apiKey: '[redacted]',
    upstream: { url: 'http://vllm', apiKey: '[redacted]' },
  })
})

test('the level option filters lines', () => {
  const { lines, destination } = capture()
  const logger = createLogger({ name: 'admin', level: 'warn', destination })
  logger.info('dropped')
  logger.warn('kept')
  expect(lines.map((line) => line.msg)).toEqual(['kept'])
})
