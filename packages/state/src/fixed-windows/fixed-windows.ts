/**
 * Fixed-window request limits shared by replicas (the gateway's per-key and per-org limits):
 * each key counts hits in a window that its first hit opens.
 */
export interface FixedWindows {
  /**
   * Counts one hit against `limit` in the key's window of `windowMs` (opened by this hit when
   * none is open) and answers whether it is allowed. Atomic across replicas: of concurrent hits,
   * exactly `limit` per window are allowed.
   */
  hit(key: string, limit: number, windowMs: number): Promise<HitResult>
}

export interface HitResult {
  allowed: boolean
  /** Hits the window still allows after this one. */
  remaining: number
  /** Milliseconds until the window ends and the count starts again. */
  resetMs: number
}
