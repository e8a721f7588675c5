import { createMemoryEventLogs } from './event-logs/memory-event-logs.ts'
import { createMemoryFixedWindows } from './fixed-windows/memory-fixed-windows.ts'
import { createMemoryLimitsStore } from './limits/memory-limits-store.ts'
import type { SharedState } from './shared-state.ts'
import { createMemoryValues } from './values/memory-values.ts'

/** SharedState in one process's memory: the one-process shape, and unit tests. */
export function createMemoryState(): SharedState {
  const eventLogs = createMemoryEventLogs()
  let closed = false
  return {
    values: createMemoryValues(),
    fixedWindows: createMemoryFixedWindows(),
    eventLogs,
    limits: createMemoryLimitsStore(),
    async ping() {
      return !closed
    },
    async close() {
      closed = true
      eventLogs.close()
    },
  }
}
