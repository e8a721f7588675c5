import type { SqlPool } from '@switchyard/kit'
import type { Logger } from 'pino'
import { applyChange } from '../db/change.ts'
import { asTransactional } from '../db/sql.ts'
import { adminErrors } from '../errors.ts'
import { orgsRepository } from '../orgs/repository.ts'
import { createOrgWithOwner } from '../orgs/service.ts'

export interface BootstrapOptions {
  orgName: string
  ownerEmail: string
  ownerName?: string
}

export interface BootstrapResult {
  orgId: string
  userId: string
  keyId: string
  /** The owner's API key (no scope list: every scope an owner gets). Shown once: it is stored hashed. */
  key: string
}

/** One lock for every bootstrapper on a database (replicas starting at once, the CLI). */
const bootstrapLock = 'switchyard.admin.bootstrap'

/**
 * Creates the first org (the operator org), its owner and an owner API key, on an empty platform
 * only: if any org exists it refuses with ADMIN_ERR_BOOTSTRAP_REFUSED and changes nothing. Runs
 * under a transaction-scoped advisory lock, so concurrent bootstraps create one org. The
 * migrations must have been applied. Nothing is announced (a new key needs no hot reload).
 */
export async function bootstrapAdmin(sql: SqlPool, options: BootstrapOptions): Promise<BootstrapResult> {
  const orgName = options.orgName.trim()
  const ownerEmail = options.ownerEmail.trim()
  if (orgName === '' || orgName.length > 200)
    throw new adminErrors.InvalidRequest('The org name must be 1 to 200 characters')
  if (!/^[^@\s]+@[^@\s]+$/.test(ownerEmail))
    throw new adminErrors.InvalidRequest(`${ownerEmail} is not an email address`)
  const pool = asTransactional(sql)
  // A system change: no user made it, so the actor is nobody; the audit entry says bootstrap.
  const actor = { orgId: '', userId: null, keyId: null, requestId: null }
  const nothingToRelay = { flush: async () => {}, stop: async () => {} }
  return applyChange({ pool, relay: nothingToRelay }, actor, async (scope) => {
    await scope.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [bootstrapLock])
    const existing = await orgsRepository.count(scope.db)
    if (existing > 0) {
      throw new adminErrors.BootstrapRefused(
        `${existing} organization${existing === 1 ? '' : 's'} already exist; bootstrap only runs on an empty platform`,
      )
    }
    const created = await createOrgWithOwner(scope, {
      name: orgName,
      ownerEmail,
      ownerName: options.ownerName,
      operator: true,
    })
    return { orgId: created.org.id, userId: created.owner.userId, keyId: created.key.id, key: created.secret }
  })
}

/**
 * Bootstraps an empty platform; null when an org exists (every later start, or another replica or
 * process won the race). What to do with the key is the caller's: see bootstrapOnStart, and the
 * one-process first start in `switchyard start`, which saves it to a file only the user can read.
 */
export async function bootstrapIfEmpty(
  sql: SqlPool,
  options: BootstrapOptions,
): Promise<BootstrapResult | null> {
  if ((await orgsRepository.count(sql)) > 0) return null
  try {
    return await bootstrapAdmin(sql, options)
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ADMIN_ERR_BOOTSTRAP_REFUSED') return null
    throw error
  }
}

/**
 * At start, with ADMIN_BOOTSTRAP_ORG and ADMIN_BOOTSTRAP_OWNER_EMAIL set: bootstraps an empty
 * platform and logs what it made, at warn level so it shows at any usual log level. Never the key:
 * logs are shipped and kept where secrets must not be. Its secret is lost on purpose; the operator
 * mints one at a shell with `switchyard keys create`, printed there once.
 */
export async function bootstrapOnStart(
  sql: SqlPool,
  options: BootstrapOptions,
  logger: Logger,
): Promise<BootstrapResult | null> {
  const result = await bootstrapIfEmpty(sql, options)
  if (result === null) return null
  logger.warn(
    { orgId: result.orgId, userId: result.userId, keyId: result.keyId },
    `Switchyard admin bootstrapped: org "${options.orgName}" (${result.orgId}), owner ${options.ownerEmail}. ` +
      'The owner key is not logged; create one at a shell with ' +
      `\`switchyard keys create --target=admin --org ${result.orgId} --email ${options.ownerEmail}\``,
  )
  return result
}
