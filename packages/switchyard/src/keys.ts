import { keysCommand } from '@switchyard/admin'
import { onAdminDatabase } from './admin-database.ts'
import type { Io } from './cli.ts'

/** `switchyard keys create|list|revoke [--target=admin]`: argv after `keys`. */
export function keysMain(argv: string[], io: Io): Promise<number> {
  return onAdminDatabase(argv, io, keysCommand.options, keysCommand.usage, ([action, ...args], context) =>
    keysCommand.run(action, args, context),
  )
}
