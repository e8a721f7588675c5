import type { ScoredMember } from './atomic-script.ts'

const before = (a: ScoredMember, score: number, member: string) =>
  a.score < score || (a.score === score && a.member < member)

/** Past this many dead slots at the front (and half the array), the array is compacted. */
const compactAfter = 1_024

/**
 * A Redis sorted set in memory: members in (score, member) order plus a score index. Rate-limit
 * logs are the common use, and they are queues: members arrive with the newest score and leave
 * oldest first. So adding at the end is a push and removing the first is a step of `head` (the
 * array is compacted now and then), not a splice that moves the whole log on every request.
 */
export class SortedSet {
  #items: ScoredMember[] = []
  /** Index of the first live item: those before it have been removed. */
  #head = 0
  readonly #scores = new Map<string, number>()

  get size(): number {
    return this.#scores.size
  }

  score(member: string): number | undefined {
    return this.#scores.get(member)
  }

  /** ZADD: true when the member is new. */
  add(score: number, member: string): boolean {
    const old = this.#scores.get(member)
    if (old !== undefined) this.#removeAt(this.#rankOf(old, member))
    const items = this.#items
    const last = items[items.length - 1]
    if (items.length === this.#head || (last !== undefined && before(last, score, member)))
      items.push({ member, score })
    else items.splice(this.#rankOf(score, member), 0, { member, score })
    this.#scores.set(member, score)
    return old === undefined
  }

  remove(member: string): boolean {
    const score = this.#scores.get(member)
    if (score === undefined) return false
    this.#removeAt(this.#rankOf(score, member))
    this.#scores.delete(member)
    return true
  }

  /** ZRANGE start stop (ranks, negative from the end), copies. */
  range(start: number, stop: number): ScoredMember[] {
    const length = this.#items.length - this.#head
    const from = Math.max(0, start < 0 ? length + start : start)
    const to = stop < 0 ? length + stop : Math.min(stop, length - 1)
    const out: ScoredMember[] = []
    for (let i = from; i <= to; i++) {
      const item = this.#items[this.#head + i] as ScoredMember
      out.push({ member: item.member, score: item.score })
    }
    return out
  }

  /** ZRANGEBYSCORE min max, both inclusive, copies. */
  rangeByScore(min: number, max: number): ScoredMember[] {
    const out: ScoredMember[] = []
    const end = this.#firstAbove(max)
    for (let i = this.#firstAtLeast(min); i < end; i++) {
      const item = this.#items[i] as ScoredMember
      out.push({ member: item.member, score: item.score })
    }
    return out
  }

  /** ZREMRANGEBYSCORE min max, both inclusive: how many were removed. */
  removeRangeByScore(min: number, max: number): number {
    const from = this.#firstAtLeast(min)
    const end = this.#firstAbove(max)
    if (end <= from) return 0
    for (let i = from; i < end; i++) this.#scores.delete((this.#items[i] as ScoredMember).member)
    if (from === this.#head) this.#advance(end - from)
    else this.#items.splice(from, end - from)
    return end - from
  }

  #removeAt(index: number): void {
    if (index === this.#head) this.#advance(1)
    else this.#items.splice(index, 1)
  }

  #advance(count: number): void {
    this.#head += count
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head > compactAfter && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
  }

  /** First index whose item is not before (score, member). */
  #rankOf(score: number, member: string): number {
    let lo = this.#head
    let hi = this.#items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(this.#items[mid] as ScoredMember, score, member)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #firstAtLeast(score: number): number {
    let lo = this.#head
    let hi = this.#items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#items[mid] as ScoredMember).score < score) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #firstAbove(score: number): number {
    let lo = this.#head
    let hi = this.#items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#items[mid] as ScoredMember).score <= score) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
