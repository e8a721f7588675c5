import { createScratchDatabase } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { exitCodes } from './cli.ts'
import { runCli } from './cli-under-test.ts'

const run = runCli

test('bootstrap, then create, list and revoke keys on the PostgreSQL in DATABASE_URL', async () => {
  const database = await createScratchDatabase('keys_cli', { max: 1 })
  onTestFinished(() => database.drop())
  const env = { DATABASE_URL: database.url.toString(), SWITCHYARD_LOG_LEVEL: 'silent' }
  const admin = ['--target=admin']

  expect((await run(['migrate', ...admin], env)).code).toBe(exitCodes.ok)
  const made = await run(
    ['admin', 'bootstrap', ...admin, '--org', 'Ops', '--owner-email', 'ops@example.com'],
    env,
  )
  expect(made.code, made.stderr).toBe(exitCodes.ok)
  const first = made.stdout.trim()
  const created = await run(
    ['keys', 'create', ...admin, '--email', 'ops@example.com', '--scopes', 'admin:read'],
    env,
  )
  expect(created.code, created.stderr).toBe(exitCodes.ok)
  const second = created.stdout.trim()

  const { pool } = database
  const { rows } = await pool.query<{ id: string; prefix: string; scopes: string[] }>(
    'SELECT id, prefix, scopes FROM api_keys ORDER BY created_at',
  )
  expect(rows.map((row) => row.prefix)).toEqual([first, second].map((key) => key.slice(0, 11)))
  expect(rows[1]?.scopes).toEqual(['admin:read'])

  const listed = await run(['keys', 'list', ...admin], env)
  for (const row of rows)
    expect(listed.stdout).toMatch(new RegExp(`^${row.id}\\t.*\\t${row.prefix}\\tactive\\t`, 'm'))

  const target = rows[0]?.id as string
  expect(await run(['keys', 'revoke', ...admin, target], env)).toMatchObject({ code: exitCodes.ok })
  const revoked = await pool.query('SELECT revoked_at FROM api_keys WHERE id = $1', [target])
  expect(revoked.rows[0]?.revoked_at).not.toBeNull()
  // The gateways hear of it through the outbox, which a running admin's relay publishes.
  const queued = await pool.query(
    "SELECT count(*)::int AS n FROM config_outbox WHERE kind = 'key-revoked' AND payload->>'keyId' = $1",
    [target],
  )
  expect(queued.rows[0]?.n).toBe(1)
}, 120_000)
