import type { ScoredMember } from './atomic-script.ts'

/** Past this many dead slots at the front (and half the array), the arrays are compacted. */
const compactAfter = 1_024

/**
 * A Redis sorted set in memory: members in (score, member) order plus a score index. Rate-limit
 * logs are the common use, and they are queues: members arrive with the newest score and leave
 * oldest first. So adding at the end is a push, removing the first is a step of `head` (the arrays
 * are compacted now and then), not a splice that moves the whole log on every request, and the
 * searches by score gallop from the head, where such callers look. Members and scores are kept in
 * two arrays rather than as an object per member: a push allocates nothing, and the scores array
 * holds plain doubles.
 */
export class SortedSet {
  /** Members in order; those before `#head` have been removed. */
  #members: string[] = []
  /** Their scores, index for index. */
  #ordered: number[] = []
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
    if (old !== undefined) this.#removeAt(this.#indexOf(old, member))
    const last = this.#members.length - 1
    if (last < this.#head || this.#isBefore(last, score, member)) {
      this.#members.push(member)
      this.#ordered.push(score)
    } else {
      const at = this.#rankOf(score, member)
      this.#members.splice(at, 0, member)
      this.#ordered.splice(at, 0, score)
    }
    this.#scores.set(member, score)
    return old === undefined
  }

  remove(member: string): boolean {
    const score = this.#scores.get(member)
    if (score === undefined) return false
    this.#removeAt(this.#indexOf(score, member))
    this.#scores.delete(member)
    return true
  }

  /** ZRANGE start stop (ranks, negative from the end), copies. */
  range(start: number, stop: number): ScoredMember[] {
    const length = this.#members.length - this.#head
    const from = Math.max(0, start < 0 ? length + start : start)
    const to = stop < 0 ? length + stop : Math.min(stop, length - 1)
    const out: ScoredMember[] = []
    for (let i = this.#head + from; i <= this.#head + to; i++)
      out.push({ member: this.#members[i] as string, score: this.#ordered[i] as number })
    return out
  }

  /** ZRANGEBYSCORE min max, both inclusive, copies. */
  rangeByScore(min: number, max: number): ScoredMember[] {
    const out: ScoredMember[] = []
    const from = this.#firstScored(min, false)
    const end = this.#firstScored(max, true)
    for (let i = from; i < end; i++)
      out.push({ member: this.#members[i] as string, score: this.#ordered[i] as number })
    return out
  }

  /** ZREMRANGEBYSCORE min max, both inclusive: how many were removed. */
  removeRangeByScore(min: number, max: number): number {
    const from = this.#firstScored(min, false)
    const end = this.#firstScored(max, true)
    if (end <= from) return 0
    for (let i = from; i < end; i++) this.#scores.delete(this.#members[i] as string)
    if (from === this.#head) this.#advance(end - from)
    else {
      this.#members.splice(from, end - from)
      this.#ordered.splice(from, end - from)
    }
    return end - from
  }

  /** Whether the item at `index` comes before (score, member). */
  #isBefore(index: number, score: number, member: string): boolean {
    const s = this.#ordered[index] as number
    return s < score || (s === score && (this.#members[index] as string) < member)
  }

  /** Where a member with this score is: the ends first (the oldest leave, the newest settle). */
  #indexOf(score: number, member: string): number {
    const last = this.#members.length - 1
    if (this.#members[last] === member) return last
    if (this.#members[this.#head] === member) return this.#head
    return this.#rankOf(score, member)
  }

  #removeAt(index: number): void {
    if (index === this.#head) this.#advance(1)
    else if (index === this.#members.length - 1) {
      this.#members.pop()
      this.#ordered.pop()
    } else {
      this.#members.splice(index, 1)
      this.#ordered.splice(index, 1)
    }
  }

  #advance(count: number): void {
    this.#head += count
    if (this.#head === this.#members.length) {
      this.#members = []
      this.#ordered = []
      this.#head = 0
    } else if (this.#head > compactAfter && this.#head * 2 > this.#members.length) {
      this.#members = this.#members.slice(this.#head)
      this.#ordered = this.#ordered.slice(this.#head)
      this.#head = 0
    }
  }

  /** First index whose item is not before (score, member). */
  #rankOf(score: number, member: string): number {
    let lo = this.#head
    let hi = this.#members.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#isBefore(mid, score, member)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /**
   * First index whose score is at least `score` (or above it, when `above`). It gallops from the
   * head (1, 2, 4... items on) and then bisects the last stretch: a log evicting its oldest
   * entries asks about the first few, and finds them in a step or two.
   */
  #firstScored(score: number, above: boolean): number {
    const length = this.#ordered.length
    let lo = this.#head
    let hi = lo
    let step = 1
    while (hi < length && this.#isLow(hi, score, above)) {
      lo = hi + 1
      hi += step
      step *= 2
    }
    hi = Math.min(hi, length)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#isLow(mid, score, above)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #isLow(index: number, score: number, above: boolean): boolean {
    const s = this.#ordered[index] as number
    return above ? s <= score : s < score
  }
}
