import { bootstrapCommand } from '@switchyard/admin'
import { onAdminDatabase } from './admin-database.ts'
import type { Io } from './cli.ts'

/** `switchyard admin bootstrap --org <name> --owner-email <email> [--target=admin]`: argv after `admin`. */
export async function adminMain(argv: string[], io: Io): Promise<number> {
  if (argv[0] !== 'bootstrap') {
    io.stderr(`switchyard admin: the one action is bootstrap\nUsage: ${bootstrapCommand.usage}\n`)
    return 2
  }
  return onAdminDatabase(
    argv.slice(1),
    io,
    bootstrapCommand.options,
    bootstrapCommand.usage,
    (extra, context) => {
      if (extra.length > 0) {
        io.stderr(
          `switchyard admin bootstrap: unexpected argument '${extra[0]}'\nUsage: ${bootstrapCommand.usage}\n`,
        )
        return Promise.resolve(2)
      }
      return bootstrapCommand.run(context)
    },
  )
}
