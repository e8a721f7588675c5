import { expect, test } from 'vitest'
import { evenlySpaced, shuffled, specialists } from './dataset.ts'

test('examples are spread evenly through each label, never taken from another', () => {
  const train = [
    ...Array.from({ length: 10 }, (_, i) => ({ text: `b${i}`, label: 'banking' })),
    ...Array.from({ length: 3 }, (_, i) => ({ text: `t${i}`, label: 'travel' })),
  ]
  const [banking, travel] = specialists(train, 4)
  expect(banking?.examples).toEqual(['b0', 'b2', 'b5', 'b7'])
  expect(travel?.examples).toEqual(['t0', 't1', 't2'])
  expect(banking?.description).toBe('handles requests about banking')
  expect(evenlySpaced([1, 2, 3], 0)).toEqual([])
})

test('a seeded shuffle is a permutation, the same for the same seed', () => {
  const items = Array.from({ length: 50 }, (_, i) => i)
  const a = shuffled(items, 7)
  expect(a).toEqual(shuffled(items, 7))
  expect(a).not.toEqual(items)
  expect([...a].sort((x, y) => x - y)).toEqual(items)
  expect(shuffled(items, 8)).not.toEqual(a)
})
