import { defineService, type ServiceDefinition } from '@switchyard/kit'
import { Type } from 'typebox'
import { describe, expect, test } from 'vitest'
import { withChosenNeeds } from './needs.ts'

// A service whose config picks its store, as chat's CHAT_STORE does, and one that does not choose.
const chooser = defineService({
  name: 'chat',
  configSchema: Type.Object({
    STORE: Type.Union([Type.Literal('cassandra'), Type.Literal('postgres')], { default: 'cassandra' }),
  }),
  calls: [],
  needs: ['cassandra', 'state'],
  needsFor: (config) => [config.STORE === 'postgres' ? 'sql' : 'cassandra', 'state'],
  plugin: async () => {},
}) as unknown as ServiceDefinition
const fixed: ServiceDefinition = { ...chooser, name: 'admin', needs: ['sql'], needsFor: undefined }
const registry = { chat: chooser, admin: fixed }

describe('withChosenNeeds', () => {
  test.each([
    ['chat', { STORE: 'postgres' }, ['sql', 'state']],
    ['all', { STORE: 'postgres' }, ['sql', 'state']],
    ['chat', {}, ['cassandra', 'state']],
    // Not run by this target: its config is not read.
    ['admin', { STORE: 'postgres' }, ['cassandra', 'state']],
    // Invalid: left to the config loader to report with the other bad keys.
    ['chat', { STORE: 'mysql' }, ['cassandra', 'state']],
  ])('target %s with %j: chat needs %j', (target, env, needs) => {
    const chosen = withChosenNeeds(registry, target, env)
    expect(chosen.chat?.needs).toEqual(needs)
    expect(chosen.admin?.needs).toEqual(['sql'])
  })
})
