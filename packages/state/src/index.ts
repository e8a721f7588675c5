// Shared state at the domain's level: each port with a memory and a Redis implementation.
export type { AppendOptions, EventLogs, LogEntry } from './event-logs/event-logs.ts'
export { logStart } from './event-logs/event-logs.ts'
export { LOG_READER_NAME } from './event-logs/redis-event-logs.ts'
export type { FixedWindows, HitResult } from './fixed-windows/fixed-windows.ts'
export type {
  AdmitRequest,
  AdmitResult,
  BudgetFailure,
  BudgetLimit,
  FinishRequest,
  LimitFailure,
  LimitsStore,
  RateLimit,
} from './limits/limits-store.ts'
export { secondsPerWindow } from './limits/limits-store.ts'
export { createMemoryState } from './memory-state.ts'
export { connectRedis, type RedisClientOptions } from './redis-client.ts'
export { createRedisState, type RedisStateOptions } from './redis-state.ts'
export type { SharedState } from './shared-state.ts'
export type { ExpiringValues } from './values/values.ts'
