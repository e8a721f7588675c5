/** A clock a test moves by hand, for code that takes `now: () => number` (milliseconds). */
export interface FakeClock {
  now(): number
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void
}

/** Starts at `start` (default: a fixed instant, so runs repeat) and moves only when told. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00.000Z')): FakeClock {
  let t = start
  return {
    now: () => t,
    advance(ms) {
      if (ms < 0) throw new Error('a clock does not go back')
      t += ms
    },
  }
}
