import type { MemberResolution } from '@switchyard/contracts'
import { expect, test } from 'vitest'
import { createMemberCache } from './members.ts'

const member: MemberResolution = {
  orgId: 'org_acme',
  userId: 'user_ada',
  role: 'member',
  scopes: ['chat:write'],
  provisioned: false,
}
const signIn = { orgId: 'org_acme', subject: 'ada', email: 'ada@example.com', name: null, roles: [] }

test("memberships are cached only once admin's changes are read as far as they stood at start", async () => {
  const read = Promise.withResolvers<void>()
  let lookups = 0
  const cache = createMemberCache({
    lookup: async () => {
      lookups++
      return member
    },
    ttlMs: 60_000,
    negativeTtlMs: 1_000,
    maxEntries: 10,
    cacheFrom: read.promise,
  })
  for (let i = 0; i < 2; i++) expect(await cache.resolve(signIn)).toMatchObject({ userId: 'user_ada' })
  expect(lookups).toBe(2)
  read.resolve()
  await read.promise
  for (let i = 0; i < 2; i++) await cache.resolve(signIn)
  expect(lookups).toBe(3)
})
