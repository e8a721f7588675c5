import { defineTopic } from '@switchyard/contracts'
import { Type } from 'typebox'
import { expect, test } from 'vitest'
import { createEnvelope, newEventId, travelsAsIs } from './envelope.ts'
import { EventValidationError } from './event-bus.ts'

test('event ids are UUID v7: version 7, RFC variant, ordered by creation time, unique', () => {
  const at = Date.parse('2026-01-01T00:00:00Z')
  const early = newEventId(at)
  const late = newEventId(Date.parse('2026-01-01T00:00:00.001Z'))
  expect(early).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  expect(early < late).toBe(true)
  // The first 48 bits are the milliseconds, in hex.
  const millis = at.toString(16).padStart(12, '0')
  expect(early.slice(0, 13)).toBe(`${millis.slice(0, 8)}-${millis.slice(8)}`)
  const ids = new Set(Array.from({ length: 10_000 }, () => newEventId()))
  expect(ids.size).toBe(10_000)
})

test('the payload is validated as it will travel: after a JSON round trip', () => {
  const topic = defineTopic('test.when.v1', Type.Object({ at: Type.String(), n: Type.Number() }))
  const envelope = createEnvelope(topic, 'k', {
    at: new Date('2026-01-01T00:00:00Z') as unknown as string,
    n: 1,
  })
  expect(envelope.data).toEqual({ at: '2026-01-01T00:00:00.000Z', n: 1 })
  // NaN passes a Number check but becomes null on the wire: rejected at publish, not at consume.
  expect(() => createEnvelope(topic, 'k', { at: 'x', n: Number.NaN })).toThrow(EventValidationError)
})

test('plain JSON data is checked as it is; anything a round trip would change is not plain', () => {
  class Point {
    x = 1
  }
  const plain = { s: 'x', n: -1.5, b: false, z: null, list: [1, 'two', { deep: [true] }], nested: { a: {} } }
  expect(travelsAsIs(plain)).toBe(true)
  for (const notPlain of [
    { at: new Date(0) },
    { n: Number.NaN },
    { n: Number.POSITIVE_INFINITY },
    { missing: undefined },
    { list: [1, undefined] },
    { point: new Point() },
    { big: 1n },
    { fn: () => 1 },
  ])
    expect(travelsAsIs(notPlain), JSON.stringify(Object.keys(notPlain))).toBe(false)
  const topic = defineTopic(
    'test.plain.v1',
    Type.Object({ s: Type.String(), list: Type.Array(Type.Unknown()) }),
  )
  const envelope = createEnvelope(topic, 'k', { s: 'x', list: [1, { a: 'b' }] })
  expect(envelope.data).toEqual({ s: 'x', list: [1, { a: 'b' }] })
  expect(envelope).toMatchObject({ type: 'test.plain.v1', key: 'k' })
})
