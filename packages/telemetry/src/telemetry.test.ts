import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { trace } from '@opentelemetry/api'
import { expect, onTestFinished, test } from 'vitest'
import { enabledInstrumentations, startTelemetry, tracesUrl } from './telemetry.ts'

// Order matters: the disabled case must run before an SDK registers the global tracer provider.

test('without an OTLP endpoint telemetry is off: a no-op handle and no recording spans', async () => {
  for (const otlpEndpoint of [undefined, '']) {
    const handle = await startTelemetry({ serviceName: 'chat', otlpEndpoint })
    expect(handle.enabled).toBe(false)
    await expect(handle.shutdown()).resolves.toBeUndefined()
  }
  const span = trace.getTracer('test').startSpan('nothing')
  expect(span.isRecording()).toBe(false)
  span.end()
})

test('only the libraries Switchyard uses are instrumented; fs and the rest stay off', () => {
  const short = enabledInstrumentations.map((name) => name.replace('@opentelemetry/instrumentation-', ''))
  expect(short.sort()).toEqual([
    '@fastify/otel',
    'cassandra-driver',
    'http',
    'ioredis',
    'kafkajs',
    'pg',
    'undici',
  ])
})

test('the traces URL is the endpoint plus /v1/traces, unless it is already there', () => {
  expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces')
  expect(tracesUrl('http://collector:4318/v1/traces')).toBe('http://collector:4318/v1/traces')
})

test('with an endpoint, spans reach the OTLP/HTTP collector with the service name, flushed by shutdown', async () => {
  const bodies: string[] = []
  const paths: string[] = []
  const collector = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      paths.push(req.url ?? '')
      bodies.push(body)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => void collector.close())
  const { port } = collector.address() as AddressInfo

  const handle = await startTelemetry({
    serviceName: 'telemetry-test',
    otlpEndpoint: `http://127.0.0.1:${port}`,
  })
  expect(handle.enabled).toBe(true)
  await expect(
    startTelemetry({ serviceName: 'again', otlpEndpoint: `http://127.0.0.1:${port}` }),
  ).rejects.toThrow(/already started/)
  const span = trace.getTracer('test').startSpan('unit-of-work')
  expect(span.isRecording()).toBe(true)
  span.end()
  await handle.shutdown()
  await handle.shutdown()

  expect(paths).toContain('/v1/traces')
  const sent = bodies.join('\n')
  expect(sent).toContain('"unit-of-work"')
  expect(sent).toContain('"telemetry-test"')
})

test('shutdown resolves even when the collector refuses the spans', async () => {
  // 400 is not retried, so the export fails at once (an unreachable collector fails the same way, after retries).
  const refusing = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end('{}'))
  })
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => void refusing.close())
  const { port } = refusing.address() as AddressInfo
  const handle = await startTelemetry({
    serviceName: 'telemetry-test',
    otlpEndpoint: `http://127.0.0.1:${port}`,
  })
  trace.getTracer('test').startSpan('lost').end()
  await expect(handle.shutdown()).resolves.toBeUndefined()
})
