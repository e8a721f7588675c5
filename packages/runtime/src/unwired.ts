import type { EventBus } from '@switchyard/events'
import type { SharedState } from '@switchyard/state'

/**
 * What a service gets for a port it did not list in `needs`: every call fails and names the fix.
 * Without this a service that forgot to declare 'bus' would publish into an in-process bus in the
 * one-process shape and work, then lose its events in production where no Kafka was wired for it.
 */
export function unwired<T extends EventBus | SharedState>(port: 'bus' | 'state', service: string): T {
  const fail = async () => {
    throw new Error(`${service} uses the ${port} port but does not list '${port}' in its definition's needs`)
  }
  // Any member, at any depth (`state.values.get`), is the failing call.
  const member: typeof fail = new Proxy(fail, {
    get: (_target, key) => (key === 'then' ? undefined : member),
  })
  return new Proxy({} as T, { get: (_target, key) => (key === 'then' ? undefined : member) })
}
