import type { ServiceName } from '@switchyard/contracts'
import {
  type Backend,
  defineService,
  type ServiceContext,
  type ServiceDefinition,
  type ServicePlugin,
} from '@switchyard/kit'
import { Type } from 'typebox'

export interface StandIn {
  /** Goes into the registry under `name`, in place of the real service. */
  service: ServiceDefinition
  /** The ports the runtime handed it (its `needs`), once the app started. */
  context(): ServiceContext
}

/**
 * A stand-in for a service that is not under test: it takes that service's place in the registry,
 * gets the ports it asks for, and hands them to the test (to read the database, publish or hear
 * events). `register` runs at registration, before the services start: subscribe there to hear
 * what they publish while starting.
 */
export function standIn(
  name: ServiceName,
  needs: readonly Backend[] = [],
  register: ServicePlugin = async () => {},
): StandIn {
  let context: ServiceContext | undefined
  return {
    service: defineService({
      name,
      configSchema: Type.Object({}),
      calls: [],
      needs,
      plugin: async (app, ctx) => {
        context = ctx
        await register(app, ctx)
      },
    }),
    context() {
      if (context === undefined)
        throw new Error(`the stand-in ${name} has not been registered: start the app first`)
      return context
    },
  }
}
