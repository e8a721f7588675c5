import type { ChangeScope } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import { insertKey } from '../keys/service.ts'
import { usersRepository } from '../users/repository.ts'
import { orgsRepository } from './repository.ts'
import type { CreatedOrg } from './schemas.ts'

/**
 * Scopes of the key a new org's first owner gets: none listed, so the owner's role defaults (every
 * scope): the key the README's first chat uses. Until migration 012 it was the admin API only.
 */
export const ownerKeyScopes: string[] = []

/**
 * An org, its first owner (always a new user with that email) and
 * an owner API key, audited in the new org. Shared by bootstrap and `POST /admin/v1/orgs`.
 */
export async function createOrgWithOwner(
  scope: ChangeScope,
  input: { name: string; ownerEmail: string; ownerName?: string | undefined; operator: boolean },
): Promise<CreatedOrg> {
  const org = await orgsRepository.insert(scope.db, {
    id: newId('org'),
    name: input.name,
    operator: input.operator,
  })
  // A new user, as for any add: a user of another org with this address is not joined or shown.
  const userId = newId('user')
  await usersRepository.insertUser(scope.db, {
    id: userId,
    email: input.ownerEmail,
    name: input.ownerName ?? null,
  })
  const owner = await usersRepository.addMembership(scope.db, org.id, userId, 'owner')
  await scope.audit(
    {
      action: 'org.create',
      targetType: 'org',
      targetId: org.id,
      details: { name: org.name, ownerUserId: userId },
    },
    org.id,
  )
  // The key belongs to the new org; its audit entry is written there too.
  const created = await insertKey({ ...scope, audit: (entry) => scope.audit(entry, org.id) }, org.id, {
    userId,
    name: 'owner key',
    scopes: ownerKeyScopes,
    expiresAt: null,
  })
  return { org, owner, key: created.key, secret: created.secret }
}
