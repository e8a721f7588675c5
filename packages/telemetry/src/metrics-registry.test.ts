import { expect, test } from 'vitest'
import { createMetricsRegistry } from './metrics-registry.ts'

// The registry is per process (per test file here): these tests build on one another, in order.

test('the registry serves the default process and Node.js metrics with the prefix and default labels', async () => {
  const registry = createMetricsRegistry({ prefix: 'switchyard_', defaultLabels: { cluster: 'test' } })
  const text = await registry.metrics()
  expect(text).toContain('# TYPE switchyard_process_cpu_user_seconds_total counter')
  expect(text).toMatch(/^switchyard_nodejs_heap_size_used_bytes\{cluster="test"\} \d+/m)
  expect(registry.contentType).toContain('text/plain')
})

test('a second call returns the same registry, with or without the same options', () => {
  const first = createMetricsRegistry({ defaultLabels: { cluster: 'test' }, prefix: 'switchyard_' })
  expect(createMetricsRegistry()).toBe(first)
})

test('a second call with different options throws instead of ignoring them', () => {
  expect(() => createMetricsRegistry({ prefix: 'other_' })).toThrow(/already exists/)
})
