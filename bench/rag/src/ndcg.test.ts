import { expect, test } from 'vitest'
import { meanNdcgAt, ndcgAt, trecOrder } from './ndcg.ts'

const judged = new Map([
  ['a', 3],
  ['b', 2],
  ['c', 1],
  ['d', 0],
])

test('graded gains, a log2(rank + 1) discount, the ideal from the judgments, cut at k', () => {
  // Ranked x (unjudged), b, a, c: at k = 3 the run gains 0, 2, 3 at ranks 1..3; the ideal is 3, 2, 1.
  const run = new Map([
    ['x', 0.9],
    ['b', 0.8],
    ['a', 0.7],
    ['c', 0.6],
  ])
  const dcg = 0 / Math.log2(2) + 2 / Math.log2(3) + 3 / Math.log2(4)
  const ideal = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4)
  expect(ndcgAt(3, run, judged)).toBeCloseTo(dcg / ideal, 12)
  // At k = 10 c counts too, and the ideal has the same three (d's grade 0 gains nothing).
  const dcg10 = dcg + 1 / Math.log2(5)
  expect(ndcgAt(10, run, judged)).toBeCloseTo(dcg10 / ideal, 12)
  // The ideal order itself scores 1.
  expect(
    ndcgAt(
      10,
      new Map([
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ]),
      judged,
    ),
  ).toBeCloseTo(1, 12)
})

test('ties in score go by document id, descending, as trec_eval sorts', () => {
  const run = new Map([
    ['a', 0.5],
    ['c', 0.5],
    ['b', 0.9],
  ])
  expect(trecOrder(run)).toEqual(['b', 'c', 'a'])
  // So a tied pair's order is not the order it was listed in: c (1) comes before a (3).
  const expected =
    (2 / Math.log2(2) + 1 / Math.log2(3) + 3 / Math.log2(4)) /
    (3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4))
  expect(ndcgAt(10, run, judged)).toBeCloseTo(expected, 12)
})

test('a query whose judgments hold nothing relevant scores 0, and one the run misses counts as 0', () => {
  const none = new Map([['a', 0]])
  expect(ndcgAt(10, new Map([['a', 1]]), none)).toBe(0)
  const qrels = new Map([
    ['q1', judged],
    ['q2', judged],
  ])
  const runs = new Map([
    [
      'q1',
      new Map([
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ]),
    ],
    // q2 retrieved nothing; q3 has no judgments, so it is not averaged.
    ['q3', new Map([['a', 1]])],
  ])
  expect(meanNdcgAt(10, runs, qrels)).toEqual({ mean: 0.5, queries: 2, empty: 1 })
})
