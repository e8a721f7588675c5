import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import type { CommandContext } from '@switchyard/admin'
import { withTargetDatabase } from '@switchyard/runtime'
import type { Io } from './cli.ts'
import { services } from './targets.ts'

/**
 * Runs a command on admin's tables: without --target the one-process data folder's PGlite
 * (migrated first, as `start` would), with --target=admin the PostgreSQL in DATABASE_URL.
 * Resolves to the exit code; config and data-folder errors reach the CLI's handler.
 */
export async function onAdminDatabase(
  argv: string[],
  io: Io,
  options: ParseArgsOptionsConfig,
  usage: string,
  run: (positionals: string[], context: CommandContext) => Promise<number>,
): Promise<number> {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, target: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed
  } catch (error) {
    io.stderr(`switchyard: ${(error as Error).message.split('. To specify')[0]}\nUsage: ${usage}\n`)
    return 2
  }
  const target = typeof parsed.values.target === 'string' ? parsed.values.target : 'all'
  if (target !== 'all' && target !== 'admin') {
    io.stderr(
      `switchyard: --target=${target}: these commands work on admin's database: --target=admin ` +
        '(DATABASE_URL), or no target (the local data folder)\n',
    )
    return 2
  }
  return withTargetDatabase({ target, env: io.env, services }, (sql) =>
    run(parsed.positionals, { sql, values: parsed.values, stdout: io.stdout, stderr: io.stderr }),
  )
}
