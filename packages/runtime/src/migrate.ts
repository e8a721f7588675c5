import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type pg from 'pg'

/**
 * One key for every Switchyard migrator on a database: whoever holds it migrates, the others wait
 * and then find the files already recorded. (A bigint; the digits spell nothing.)
 */
const MIGRATION_LOCK_KEY = '7263850011'

const FILE_NAME = /^(\d{3,})-[\w.-]+\.sql$/

export interface MigrationSource {
  /** Service name, recorded with each file. */
  name: string
  /** Folder of `NNN-name.sql` files; a service without one has nothing to apply. */
  migrationsDir?: string | undefined
}

export interface MigrationFile {
  service: string
  name: string
  sql: string
  /** sha256 of the file's bytes, hex. */
  checksum: string
}

export interface MigrationReport {
  service: string
  applied: string[]
  alreadyApplied: string[]
}

/** A migration that cannot be applied as asked; `problems` lists every reason found. */
export class MigrationError extends Error {
  readonly problems: string[]
  constructor(problems: string[], options?: { cause?: unknown }) {
    super(`migrations refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options)
    this.name = 'MigrationError'
    this.problems = problems
  }
}

/** Reads a service's migration files in the order they apply (by their number). */
export async function readMigrations(source: MigrationSource): Promise<MigrationFile[]> {
  if (!source.migrationsDir) return []
  const entries = await readdir(source.migrationsDir)
  const problems: string[] = []
  const numbered = new Map<number, string>()
  for (const entry of entries.filter((e) => e.endsWith('.sql'))) {
    const match = FILE_NAME.exec(entry)
    if (!match) {
      problems.push(`${source.name}: ${entry} is not named NNN-name.sql`)
      continue
    }
    const n = Number(match[1])
    const other = numbered.get(n)
    if (other) problems.push(`${source.name}: ${entry} and ${other} share the number ${match[1]}`)
    numbered.set(n, entry)
  }
  if (problems.length > 0) throw new MigrationError(problems)
  const files = [...numbered.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry)
  return Promise.all(
    files.map(async (name) => {
      const bytes = await readFile(join(source.migrationsDir as string, name))
      return {
        service: source.name,
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      }
    }),
  )
}

/**
 * Applies every pending migration of `sources` to the database behind `pool`, each file in its own
 * transaction together with its row in `switchyard_migrations`, so a file is recorded if and only if
 * it took effect. The whole run holds a session advisory lock: concurrent migrators (two replicas
 * starting at once) queue, and the later ones find the files already recorded. A file whose checksum
 * differs from the one recorded when it was applied stops everything before anything is applied:
 * an applied migration is history, and a change to it would never reach existing databases.
 */
export async function migrate(
  pool: pg.Pool,
  sources: readonly MigrationSource[],
  options: { onWait?: () => void } = {},
): Promise<MigrationReport[]> {
  const files = (await Promise.all(sources.map(readMigrations))).flat()
  if (files.length === 0) return sources.map((s) => ({ service: s.name, applied: [], alreadyApplied: [] }))

  const client = await pool.connect()
  try {
    // A migration (a backfill) and the wait for another migrator's lock may outlast any request:
    // no statement timeout on this session; reset below before the client returns to the pool.
    await client.query('SET statement_timeout = 0')
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      MIGRATION_LOCK_KEY,
    ])
    if (!rows[0]?.locked) {
      options.onWait?.()
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    }
    try {
      return await applyPending(client, sources, files)
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    }
  } finally {
    // A client whose reset failed is destroyed rather than pooled without its timeout.
    const reset = await client.query('RESET statement_timeout').then(
      () => true,
      () => false,
    )
    client.release(!reset)
  }
}

async function applyPending(
  client: pg.PoolClient,
  sources: readonly MigrationSource[],
  files: MigrationFile[],
): Promise<MigrationReport[]> {
  // Created under the lock: two CREATE TABLE IF NOT EXISTS racing can still collide in the catalog.
  await client.query(`CREATE TABLE IF NOT EXISTS switchyard_migrations (
    service text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, name)
  )`)
  const { rows } = await client.query<{ service: string; name: string; checksum: string }>(
    'SELECT service, name, checksum FROM switchyard_migrations WHERE service = ANY($1::text[])',
    [sources.map((s) => s.name)],
  )
  const recorded = new Map(rows.map((r) => [`${r.service}/${r.name}`, r.checksum]))

  const changed = files.filter((f) => {
    const checksum = recorded.get(`${f.service}/${f.name}`)
    return checksum !== undefined && checksum !== f.checksum
  })
  if (changed.length > 0) {
    throw new MigrationError(
      changed.map(
        (f) =>
          `${f.service}: ${f.name} changed after it was applied (checksum ${recorded.get(`${f.service}/${f.name}`)?.slice(0, 12)} recorded, ${f.checksum.slice(0, 12)} on disk); add a new migration instead`,
      ),
    )
  }

  const reports = new Map(
    sources.map((s) => [
      s.name,
      { service: s.name, applied: [] as string[], alreadyApplied: [] as string[] },
    ]),
  )
  for (const file of files) {
    const report = reports.get(file.service) as MigrationReport
    if (recorded.has(`${file.service}/${file.name}`)) {
      report.alreadyApplied.push(file.name)
      continue
    }
    await client.query('BEGIN')
    try {
      await client.query(file.sql)
      await client.query('INSERT INTO switchyard_migrations (service, name, checksum) VALUES ($1, $2, $3)', [
        file.service,
        file.name,
        file.checksum,
      ])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK')
      const reason = error instanceof Error ? error.message : String(error)
      throw new MigrationError([`${file.service}: ${file.name} failed and was rolled back: ${reason}`], {
        cause: error,
      })
    }
    report.applied.push(file.name)
  }
  return [...reports.values()]
}
