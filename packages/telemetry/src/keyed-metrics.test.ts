import { Counter, Histogram, Registry } from 'prom-client'
import { expect, test } from 'vitest'
import { KeyedCounter, KeyedHistogram } from './keyed-metrics.ts'

const buckets = [0.005, 0.05, 0.5, 5]
const labelNames = ['route', 'status'] as const
/** Values on, between and past the bucket bounds, for two label sets. */
const observations: [route: string, status: string, value: number][] = [
  ['/a', '200', 0.001],
  ['/a', '200', 0.005],
  ['/a', '200', 0.3],
  ['/a', '500', 7],
  ['/b', '200', 0.05],
  ['/a', '200', 4.9],
]

test('a keyed histogram is exposed exactly as prom-client exposes the same observations', async () => {
  const theirs = new Registry()
  const ours = new Registry()
  const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames, buckets, registers: [theirs] })
  const keyed = new KeyedHistogram({ name: 'h_seconds', help: 'h', labelNames, buckets, registers: [ours] })
  for (const [route, status, value] of observations) {
    reference.observe({ route, status }, value)
    keyed.labels(route, status).observe(value)
  }
  expect(await ours.metrics()).toBe(await theirs.metrics())
  // As JSON too, but for prom-client's exemplar slots (always null without exemplars enabled).
  const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
    metrics.map((m) => ({
      ...m,
      values: m.values.map((value) => {
        const { exemplar: _, ...rest } = value as typeof value & { exemplar?: unknown }
        return rest
      }),
    }))
  expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()))
})

test('a keyed counter is exposed exactly as prom-client exposes the same increments', async () => {
  const theirs = new Registry()
  const ours = new Registry()
  const reference = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [theirs] })
  const keyed = new KeyedCounter({ name: 'c_total', help: 'c', labelNames, registers: [ours] })
  for (const [route, status, value] of observations) {
    reference.inc({ route, status }, value)
    keyed.labels(route, status).inc(value)
  }
  reference.inc({ route: '/c', status: '204' })
  keyed.labels('/c', '204').inc()
  expect(await ours.metrics()).toBe(await theirs.metrics())
})

test('a series is kept: asking again for the same labels counts into the same one', async () => {
  const registry = new Registry()
  const counter = new KeyedCounter({
    name: 'kept_total',
    help: 'k',
    labelNames: ['x'],
    registers: [registry],
  })
  counter.labels('1').inc()
  counter.labels('1').inc(2)
  const [metric] = await registry.getMetricsAsJSON()
  expect(metric?.values).toEqual([{ labels: { x: '1' }, value: 3 }])
  registry.resetMetrics()
  expect((await registry.getMetricsAsJSON())[0]?.values).toEqual([])
})

test('a series held across a reset counts again and shows again; one never counted does not show', async () => {
  const registry = new Registry()
  const counter = new KeyedCounter({
    name: 'held_total',
    help: 'h',
    labelNames: ['x'],
    registers: [registry],
  })
  const held = counter.labels('1')
  counter.labels('2')
  held.inc(5)
  registry.resetMetrics()
  held.inc(2)
  const [metric] = await registry.getMetricsAsJSON()
  expect(metric?.values).toEqual([{ labels: { x: '1' }, value: 2 }])
})

test('bad input is refused: wrong label count, a counter going down, a non-finite observation', () => {
  const registry = new Registry()
  const counter = new KeyedCounter({ name: 'bad_total', help: 'b', labelNames, registers: [registry] })
  const histogram = new KeyedHistogram({
    name: 'bad_seconds',
    help: 'b',
    labelNames,
    buckets,
    registers: [registry],
  })
  expect(() => counter.labels('/only-one')).toThrow(TypeError)
  expect(() => counter.labels('/a', '200').inc(-1)).toThrow(TypeError)
  expect(() => histogram.labels('/a', '200').observe(Number.NaN)).toThrow(TypeError)
})
