/** Checks a duration argument the same way for every implementation: positive, fractions round up. */
export function toDurationMs(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`${name} must be a positive number of milliseconds`)
  return Math.ceil(ms)
}

export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`)
}
