import { describe, expect, test } from 'vitest'
import type { ScoredMember } from './atomic-script.ts'
import { SortedSet } from './sorted-set.ts'

/** The obvious sorted set: a sorted array, re-sorted on every change. */
class NaiveSortedSet {
  items: ScoredMember[] = []
  add(score: number, member: string): boolean {
    const isNew = this.remove(member) === false
    this.items.push({ member, score })
    this.items.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
    return isNew
  }
  remove(member: string): boolean {
    const before = this.items.length
    this.items = this.items.filter((item) => item.member !== member)
    return this.items.length < before
  }
}

/** A small deterministic generator, so a failure replays. */
function random(seed: number) {
  let state = seed
  return (below: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state % below
  }
}

describe('SortedSet', () => {
  test('agrees with a naive sorted array over a long run of queue-like and random operations', () => {
    const set = new SortedSet()
    const naive = new NaiveSortedSet()
    const next = random(7)
    let clock = 0
    for (let step = 0; step < 20_000; step++) {
      const op = next(10)
      if (op < 5) {
        // Mostly the newest score, as a rate-limit log is written; now and then an older one.
        clock += next(3)
        const score = next(10) === 0 ? clock - next(50) : clock
        const member = `m${next(3_000)}`
        expect(set.add(score, member)).toBe(naive.add(score, member))
      } else if (op < 7) {
        const oldest = naive.items[0]
        if (oldest !== undefined) expect(set.remove(oldest.member)).toBe(naive.remove(oldest.member))
      } else if (op < 8) {
        // Any member, or the newest (a hold settled right after it was taken).
        const newest = naive.items[naive.items.length - 1]
        const member = next(2) === 0 && newest !== undefined ? newest.member : `m${next(3_000)}`
        expect(set.remove(member)).toBe(naive.remove(member))
      } else if (op < 9) {
        const cutoff = clock - 40 - next(40)
        const doomed = naive.items.filter((item) => item.score <= cutoff)
        naive.items = naive.items.filter((item) => item.score > cutoff)
        expect(set.removeRangeByScore(Number.NEGATIVE_INFINITY, cutoff)).toBe(doomed.length)
      } else {
        // Any stretch, or everything up to a cutoff (a log looking for what left its window).
        const min = next(4) === 0 ? Number.NEGATIVE_INFINITY : clock - next(60)
        const max = (Number.isFinite(min) ? min : clock - 80) + next(30)
        expect(set.rangeByScore(min, max)).toEqual(
          naive.items.filter((item) => item.score >= min && item.score <= max),
        )
      }
      expect(set.size).toBe(naive.items.length)
    }
    expect(set.range(0, -1)).toEqual(naive.items)
    expect(set.range(-3, -1)).toEqual(naive.items.slice(-3))
    const [first] = naive.items
    if (first !== undefined) expect(set.score(first.member)).toBe(first.score)
  })
})
