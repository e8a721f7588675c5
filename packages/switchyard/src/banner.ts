import type { StartPlan } from '@switchyard/runtime'

/** What `switchyard start` prints once it listens: where it is, which shape, each port's implementation. */
export function banner(plan: StartPlan, url: string): string {
  const sql =
    plan.sql === null
      ? 'not used'
      : plan.sql.impl === 'pglite'
        ? `PGlite + pgvector (data in ${plan.sql.dataDir})`
        : `PostgreSQL ${redact(plan.sql.url)}`
  const bus =
    plan.bus === null
      ? 'not used'
      : plan.bus.impl === 'kafka'
        ? `Kafka ${plan.bus.brokers.join(',')} (outbox ${plan.bus.outboxDir})`
        : 'in-process'
  const state =
    plan.state === null
      ? 'not used'
      : plan.state.impl === 'redis'
        ? `Redis ${redact(plan.state.url)}`
        : 'in memory'
  const rows: [string, string][] = [
    [
      'services',
      plan.services.length > 0 ? plan.services.map((s) => s.name).join(', ') : '(none registered yet)',
    ],
    ['sql', sql],
    ['bus', bus],
    ['state', state],
  ]
  if (plan.cassandra)
    rows.push(['cassandra', `${plan.cassandra.contactPoints.join(',')} (${plan.cassandra.localDataCenter})`])
  rows.push([
    'identity',
    plan.identity.keys === 'ephemeral' ? 'ephemeral key pair (this process only)' : 'configured keys',
  ])
  rows.push(['data', plan.dataDir])
  const shape = plan.shape === 'all' ? 'all services in one process' : `target ${plan.target}`
  return [`switchyard listening on ${url} (${shape})`, ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)].join(
    '\n',
  )
}

/** A URL without its password, for printing. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}
