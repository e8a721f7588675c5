import type { SqlPool } from '@switchyard/kit'
import { bootstrapAdmin } from './bootstrap.ts'

/** What `switchyard admin bootstrap` needs from the CLI: the migrated database and its streams. */
export interface CommandContext {
  /** The database `switchyard migrate --target=admin` (or `all`) writes, migrations applied. */
  sql: SqlPool
  /** Parsed `--name value` options. */
  values: Record<string, string | boolean | undefined>
  stdout(text: string): void
  stderr(text: string): void
}

/**
 * `switchyard admin bootstrap --org <name> --owner-email <email> [--owner-name <name>]`: the first
 * org and its owner; prints the owner's API key once, on stdout. Exit codes as the CLI's: 0 done,
 * 1 refused (an org exists), 2 the command line is wrong.
 */
export const bootstrapCommand = {
  summary: 'create the first org and its owner; print the owner API key once',
  usage: 'switchyard admin bootstrap --org <name> --owner-email <email> [--owner-name <name>]',
  /** For node:util parseArgs. */
  options: {
    org: { type: 'string' },
    'owner-email': { type: 'string' },
    'owner-name': { type: 'string' },
  },
  async run({ sql, values, stdout, stderr }: CommandContext): Promise<number> {
    const orgName = values.org
    const ownerEmail = values['owner-email']
    const ownerName = values['owner-name']
    if (typeof orgName !== 'string' || typeof ownerEmail !== 'string') {
      stderr(
        `switchyard admin bootstrap: --org and --owner-email are required\nUsage: ${bootstrapCommand.usage}\n`,
      )
      return 2
    }
    try {
      const result = await bootstrapAdmin(sql, {
        orgName,
        ownerEmail,
        ...(typeof ownerName === 'string' && { ownerName }),
      })
      stderr(
        `Bootstrapped org ${result.orgId} with owner ${ownerEmail} (user ${result.userId}).\n` +
          'The owner API key follows; it is shown once, never again: store it now.\n',
      )
      stdout(`${result.key}\n`)
      return 0
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (code === 'ADMIN_ERR_BOOTSTRAP_REFUSED' || code === 'ADMIN_ERR_INVALID_REQUEST') {
        stderr(`switchyard admin bootstrap: ${(error as Error).message}\n`)
        return code === 'ADMIN_ERR_INVALID_REQUEST' ? 2 : 1
      }
      throw error
    }
  },
} as const
