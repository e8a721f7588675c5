import { homedir } from 'node:os'
import { parseArgs } from 'node:util'
import { bootstrapCommand, keysCommand } from '@switchyard/admin'
import { ConfigError } from '@switchyard/config'
import {
  DataDirInUseError,
  type LocalPostgresOpening,
  MigrationError,
  migrateTarget,
  type ServiceRegistry,
  start,
  UnknownTargetError,
  validTargets,
} from '@switchyard/runtime'
import type { TelemetryHandle } from '@switchyard/telemetry'
import { adminMain } from './admin.ts'
import { banner } from './banner.ts'
import { eventsCommand } from './events-command.ts'
import { firstStart, withoutAdminBootstrap } from './first-run.ts'
import { keysMain } from './keys.ts'
import { services } from './targets.ts'

/** Exit codes: 0 done, 1 failed (bad config, a backend, a migration), 2 the command line is wrong. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const

export function usage(registry: ServiceRegistry = services): string {
  const targets = validTargets(registry)
    .filter((t) => t !== 'all')
    .map((name) => `  ${name.padEnd(12)} ${(registry[name]?.needs ?? []).join(', ') || 'no backends'}`)
  return `switchyard: the self-hostable LLM platform

Usage:
  switchyard start [--target=<name>]    run every service in one process, or one service
  switchyard migrate [--target=<name>]  apply database migrations (all: the local PGlite;
                                        one service: the PostgreSQL in DATABASE_URL)
  switchyard keys create|list|revoke    API keys on admin's database, without SQL (below)
  switchyard admin bootstrap            the first org and owner of an empty database; prints the key
  switchyard events replay-dlq [--topic <t>] [--limit <n>]
                                        put dead-lettered events back on their topic (Kafka)
  switchyard --help                     this text

Targets:
  all          every service, one listener, embedded backends: PGlite + pgvector, in-process
               event bus, in-memory state (the default)
${targets.length > 0 ? targets.join('\n') : '  (no services registered yet: each adds one line to packages/switchyard/src/targets.ts)'}

Keys and bootstrap work on admin's database: the local data folder (with switchyard stopped), or
with --target=admin the PostgreSQL in DATABASE_URL. A key is printed once, on stdout.
  ${keysCommand.usage.replaceAll('\n       ', '\n  ')}
  ${bootstrapCommand.usage}

A single target uses PostgreSQL, Kafka, Redis and Cassandra for what it needs. Configuration comes
from the environment (<NAME>_FILE for secrets) and SWITCHYARD_CONFIG_FILE; see packages/runtime/README.md.
`
}

export interface Io {
  env: NodeJS.ProcessEnv
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** What bin.ts began before this module loaded; `start` takes both over. */
export interface Early {
  telemetry?: TelemetryHandle | undefined
  localPostgres?: LocalPostgresOpening | undefined
}

/** Runs one command; resolves to the exit code, or to 'running' while `start` serves. */
export async function main(argv: string[], io: Io, early: Early = {}): Promise<number | 'running'> {
  // Its own options and subcommands: parsed by its own file.
  if (argv[0] === 'events') return eventsCommand(argv.slice(1), io)
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    // parseArgs appends advice about positionals that starts with '-'; the first sentence is the point.
    const message = (error as Error).message.split('. To specify')[0]
    io.stderr(`switchyard: ${message}\nRun 'switchyard --help' for usage.\n`)
    return exitCodes.usage
  }
  const { values, positionals } = parsed
  const [command, ...extra] = positionals
  if (values.help || command === 'help' || command === undefined) {
    ;(command === undefined && !values.help ? io.stderr : io.stdout)(usage())
    return command === undefined && !values.help ? exitCodes.usage : exitCodes.ok
  }
  if (extra.length > 0 && !(command !== undefined && command in ownOptions)) {
    io.stderr(`switchyard: unexpected argument '${extra[0]}'\nRun 'switchyard --help' for usage.\n`)
    return exitCodes.usage
  }
  const target = values.target ?? 'all'
  try {
    switch (command) {
      case 'start': {
        const running = await start({
          target,
          services,
          // One process bootstraps itself below, printing and saving the key; a single target as admin says.
          env: target === 'all' ? withoutAdminBootstrap(io.env) : io.env,
          handleSignals: true,
          ...(early.telemetry && { telemetry: early.telemetry }),
          ...(early.localPostgres && { localPostgres: early.localPostgres }),
        })
        // Before the banner: once it says listening, the first owner key exists.
        if (running.plan.shape === 'all' && running.sql && services.admin)
          await firstStart({ sql: running.sql, env: io.env, homeDir: homedir(), stderr: io.stderr })
        io.stderr(`${banner(running.plan, running.url)}\n`)
        return 'running'
      }
      case 'migrate': {
        const { plan, reports } = await migrateTarget({ target, env: io.env, services })
        if (reports.length === 0) io.stdout(`${plan.target}: no migrations to apply\n`)
        for (const r of reports) {
          const applied = r.applied.length > 0 ? `applied ${r.applied.join(', ')}` : 'up to date'
          io.stdout(`${r.service}: ${applied} (${r.alreadyApplied.length} already applied)\n`)
        }
        return exitCodes.ok
      }
      case 'keys':
        return await keysMain(argv.slice(1), io)
      case 'admin':
        return await adminMain(argv.slice(1), io)
      default:
        io.stderr(`switchyard: unknown command '${command}'; commands: start, migrate, keys, admin\n`)
        return exitCodes.usage
    }
  } catch (error) {
    // Expected failures are reported as what to fix, without a stack.
    if (error instanceof UnknownTargetError) {
      io.stderr(`switchyard: ${error.message}\n`)
      return exitCodes.usage
    }
    if (
      error instanceof ConfigError ||
      error instanceof MigrationError ||
      error instanceof DataDirInUseError
    ) {
      io.stderr(`switchyard ${command}: ${error.message}\n`)
      return exitCodes.failed
    }
    throw error
  }
}

/** Commands that take options of their own (and positionals after the command); they parse argv again. */
const ownOptions = { keys: keysCommand.options, admin: bootstrapCommand.options } as const

function parse(argv: string[]) {
  const own =
    argv[0] !== undefined && argv[0] in ownOptions ? ownOptions[argv[0] as keyof typeof ownOptions] : {}
  return parseArgs({
    args: argv,
    options: { ...own, target: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  })
}
