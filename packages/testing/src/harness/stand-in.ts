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

export interface StandInOptions {
  /** The ports it asks for. Default: none. */
  needs?: readonly Backend[]
  /** Migrations the runtime applies for it, e.g. the real service's, to test its repositories. */
  migrationsDir?: string
  /** Runs at registration, before the services start: subscribe here to hear what they publish while starting. */
  register?: ServicePlugin
}

/**
 * A stand-in for a service that is not under test: it takes that service's place in the registry,
 * gets the ports it asks for, and hands them to the test (to read the database, publish or hear
 * events).
 */
export function standIn(name: ServiceName, options: StandInOptions = {}): StandIn {
  const { needs = [], register = async () => {} } = options
  let context: ServiceContext | undefined
  return {
    service: defineService({
      name,
      configSchema: Type.Object({}),
      calls: [],
      needs,
      ...(options.migrationsDir !== undefined && { migrationsDir: options.migrationsDir }),
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
