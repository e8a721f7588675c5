import type { SqlPool } from '@switchyard/kit'
import { applyChange, type ChangeDeps } from '../db/change.ts'
import { asTransactional } from '../db/sql.ts'
import { keysRepository } from '../keys/repository.ts'
import { insertKey } from '../keys/service.ts'
import { ownerKeyScopes } from '../orgs/service.ts'
import { usersRepository } from '../users/repository.ts'
import type { CommandContext } from './command.ts'

/**
 * `switchyard keys create|list|revoke`: an operator at a shell, on the database itself, so a lost
 * key is recoverable without SQL and without a key. No caller: the audit entry's actor is nobody,
 * as for bootstrap. A revocation is queued on the outbox; a running admin's relay announces it.
 * Exit codes as the CLI's: 0 done, 1 refused (not found), 2 the command line is wrong.
 */
export const keysCommand = {
  summary: 'create, list or revoke API keys on the database (a lost key, without SQL)',
  usage: [
    'switchyard keys create --email <member email> [--org <org id>] [--name <name>] [--scopes a,b]',
    'switchyard keys list [--org <org id>]',
    'switchyard keys revoke <key id>',
  ].join('\n       '),
  /** For node:util parseArgs. */
  options: {
    email: { type: 'string' },
    org: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
  },
  async run(action: string | undefined, args: string[], context: CommandContext): Promise<number> {
    const { stderr } = context
    const usageError = (why: string) => {
      stderr(`switchyard keys: ${why}\nUsage: ${keysCommand.usage}\n`)
      return 2
    }
    if (action === 'create' && args.length === 0) return create(context, usageError)
    if (action === 'list' && args.length === 0) return list(context)
    if (action === 'revoke' && args.length === 1) return revoke(context, args[0] as string)
    if (action === undefined) return usageError('which action? create, list or revoke')
    if (!['create', 'list', 'revoke'].includes(action)) return usageError(`unknown action '${action}'`)
    return usageError(action === 'revoke' ? 'revoke takes one key id' : `unexpected argument '${args[0]}'`)
  },
} as const

type UsageError = (why: string) => number

async function create(
  { sql, values, stdout, stderr }: CommandContext,
  usageError: UsageError,
): Promise<number> {
  const email = values.email
  if (typeof email !== 'string') return usageError('--email is required')
  const scopes =
    typeof values.scopes === 'string'
      ? values.scopes
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : ownerKeyScopes
  // The platform's own services alone carry these; admin refuses them on every key.
  const reserved = scopes.find((scope) => scope.startsWith('internal:'))
  if (reserved !== undefined) return usageError(`the scope ${reserved} is reserved for internal services`)
  const orgId = typeof values.org === 'string' ? values.org : await onlyOrg(sql)
  if (orgId === undefined) return usageError('--org is required: the database holds more than one org')
  if (orgId === null) {
    stderr('switchyard keys create: no org exists yet; run `switchyard admin bootstrap` first\n')
    return 1
  }
  const member = await usersRepository.findMemberByEmail(sql, orgId, email.trim())
  if (member === null) {
    stderr(`switchyard keys create: ${email} is not a member of org ${orgId}\n`)
    return 1
  }
  const created = await applyChange(changeDeps(sql), nobodyIn(orgId), (scope) =>
    insertKey(scope, orgId, {
      userId: member.userId,
      name: typeof values.name === 'string' ? values.name : 'cli key',
      scopes: [...new Set(scopes)],
      expiresAt: null,
    }),
  )
  stderr(
    `Created key ${created.key.id} (${created.key.prefix}, scopes ${created.key.scopes.join(', ')}) for ` +
      `${email} (${member.role}) in org ${orgId}.\nThe key follows; it is shown once, never again: store it now.\n`,
  )
  stdout(`${created.secret}\n`)
  return 0
}

async function list({ sql, values, stdout }: CommandContext): Promise<number> {
  const orgIds =
    typeof values.org === 'string'
      ? [values.org]
      : (
          await sql.query<{ id: string }>('SELECT id FROM orgs WHERE deleted_at IS NULL ORDER BY id')
        ).rows.map((row) => row.id)
  stdout('id\torg\tuser\tname\tprefix\tstatus\tscopes\n')
  for (const orgId of orgIds) {
    for (const key of await keysRepository.list(sql, orgId, { includeRevoked: true })) {
      stdout(
        `${[key.id, key.orgId, key.userId, key.name, key.prefix, key.status, key.scopes.join(',')].join('\t')}\n`,
      )
    }
  }
  return 0
}

async function revoke({ sql, stdout, stderr }: CommandContext, keyId: string): Promise<number> {
  const { rows } = await sql.query<{ org_id: string }>('SELECT org_id FROM api_keys WHERE id = $1', [keyId])
  const orgId = rows[0]?.org_id
  if (orgId === undefined) {
    stderr(`switchyard keys revoke: no key ${keyId}\n`)
    return 1
  }
  const revoked = await applyChange(changeDeps(sql), nobodyIn(orgId), async (scope) => {
    const key = await keysRepository.revoke(scope.db, orgId, keyId)
    if (key === null) return false // already revoked: nothing to announce
    await scope.audit({
      action: 'key.revoke',
      targetType: 'api_key',
      targetId: keyId,
      details: { name: key.name },
    })
    await scope.announce('key-revoked', orgId, { keyId })
    return true
  })
  stdout(`${keyId} ${revoked ? 'revoked' : 'was already revoked'}\n`)
  return 0
}

/** The one org when there is exactly one (the one-process shape), null with none, undefined with more. */
async function onlyOrg(sql: SqlPool): Promise<string | null | undefined> {
  const { rows } = await sql.query<{ id: string }>('SELECT id FROM orgs WHERE deleted_at IS NULL LIMIT 2')
  if (rows.length === 0) return null
  return rows.length === 1 ? rows[0]?.id : undefined
}

// The outbox row is written in the change's transaction; a running admin's relay publishes it on
// its next tick, so this process publishes nothing itself.
function changeDeps(sql: SqlPool): ChangeDeps {
  return { pool: asTransactional(sql), relay: { flush: async () => {}, stop: async () => {} } }
}

function nobodyIn(orgId: string) {
  return { orgId, userId: null, keyId: null, requestId: null }
}
