import { parseArgs } from 'node:util'
import { replayDeadLetters } from '@switchyard/events'
import { pino } from 'pino'

export const eventsUsage = `Usage:
  switchyard events replay-dlq [--topic <topic>] [--limit <n>]
      put dead-lettered events back on the topic they came from (same ids, so consumers still
      deduplicate); without --topic every <topic>.dlq; a second run continues where one stopped.
      Needs KAFKA_BROKERS (comma-separated host:port).
`

interface Io {
  env: NodeJS.ProcessEnv
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** `switchyard events ...`: resolves to the exit code (0 done, 1 failed, 2 the command line is wrong). */
export async function eventsCommand(argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    io.stderr(`switchyard events: ${(error as Error).message.split('. To specify')[0]}\n${eventsUsage}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout(eventsUsage)
    return 0
  }
  if (positionals[0] !== 'replay-dlq' || positionals.length > 1) {
    io.stderr(`switchyard events: unknown or missing subcommand '${positionals.join(' ')}'\n${eventsUsage}`)
    return 2
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit)
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    io.stderr(`switchyard events: --limit must be a positive integer, got '${values.limit}'\n`)
    return 2
  }
  const brokers = (io.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0)
  if (brokers.length === 0) {
    io.stderr('switchyard events replay-dlq: KAFKA_BROKERS is not set (comma-separated host:port)\n')
    return 1
  }
  const logger = pino({ level: io.env.LOG_LEVEL ?? 'warn' }, pino.destination(2))
  try {
    const report = await replayDeadLetters({
      brokers,
      logger,
      ...(values.topic !== undefined && { topic: values.topic }),
      ...(limit !== undefined && { limit }),
    })
    const lines = Object.entries(report.replayed).map(([dlq, n]) => `${dlq}: ${n} replayed\n`)
    io.stdout(lines.length > 0 ? lines.join('') : 'no dead letters to replay\n')
    if (report.remaining > 0) io.stdout(`${report.remaining} left (--limit); run again for the rest\n`)
    return 0
  } catch (error) {
    io.stderr(`switchyard events replay-dlq: ${(error as Error).message}\n`)
    return 1
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      topic: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
}
