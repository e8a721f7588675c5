import type { EventLogs } from './event-logs/event-logs.ts'
import type { FixedWindows } from './fixed-windows/fixed-windows.ts'
import type { LimitsStore } from './limits/limits-store.ts'
import type { ExpiringValues } from './values/values.ts'

/**
 * The state replicas share, as the ports the services use: Redis in production
 * (`createRedisState`), one process's memory otherwise (`createMemoryState`). Each port's two
 * implementations pass one contract suite (`<port>.contract.ts`).
 */
export interface SharedState {
  /** Caches, leases, flags, cooldowns and counters, each with an optional lifetime. */
  readonly values: ExpiringValues
  /** Fixed-window request limits (the gateway's). */
  readonly fixedWindows: FixedWindows
  /** Append-only logs that readers tail (chat's stream events). */
  readonly eventLogs: EventLogs
  /** Sliding-window rate limits and budget reservations (the llm-router's admission). */
  readonly limits: LimitsStore
  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}
