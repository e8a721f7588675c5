// TLS to PostgreSQL on a real server: a throwaway cluster of deploy/local's PostgreSQL 15 with
// ssl=on and a pg_hba that refuses unencrypted connections, its certificate signed by a CA made by
// openssl here. The pool options come from DATABASE_TLS_CA_FILE through the function start.ts uses.
import { execFile } from 'node:child_process'
import { access, chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { loadConfig } from '@switchyard/config'
import { freePort, makeTestCertificates } from '@switchyard/test-backends'
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { postgresOptions } from './client-options.ts'
import { RuntimeConfig } from './config.ts'

const run = promisify(execFile)
/** Debian's PostgreSQL 15, as deploy/local/lib/postgres.sh finds it. */
const bin = '/usr/lib/postgresql/15/bin'
// PostgreSQL refuses to run as root: then the cluster belongs to `nobody`.
const owner: { uid: number; gid: number } | undefined =
  process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined
const nobody = owner ?? {}
let dir: string
let data: string
let port: number
let started = false

beforeAll(async () => {
  await access(join(bin, 'initdb')) // deploy/local installs it (apt postgresql-15)
  dir = await mkdtemp(join(tmpdir(), 'switchyard-pg-tls-'))
  await chmod(dir, 0o755)
  const file = (name: string) => join(dir, name)
  data = file('pg')
  await mkdir(data, { mode: 0o700 })
  if (owner) await chown(data, owner.uid, owner.gid)
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'switchyard', '--auth=trust', '-E', 'UTF8'], nobody)
  await makeTestCertificates(dir, data)
  // TLS or nothing.
  await writeFile(
    join(data, 'pg_hba.conf'),
    'hostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n',
  )
  for (const name of ['server.key', 'server.crt', 'pg_hba.conf']) {
    await chmod(join(data, name), 0o600)
    if (owner) await chown(join(data, name), owner.uid, owner.gid)
  }
  port = await freePort()
  const options = `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off`
  await run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(data, 'log'), '-w', '-o', options, 'start'], nobody)
  started = true
}, 120_000)

afterAll(async () => {
  if (started) await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], nobody).catch(() => {})
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function connect(env: Record<string, string>): Promise<boolean> {
  const client = new pg.Client({
    connectionString: `postgres://switchyard@127.0.0.1:${port}/postgres`,
    ...postgresOptions(loadConfig(RuntimeConfig, env)),
  })
  try {
    await client.connect()
    const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
    return rows[0]?.ssl === true
  } finally {
    await client.end().catch(() => {})
  }
}

test('DATABASE_TLS_CA_FILE: the pool connects over TLS and verifies the server certificate', async () => {
  expect(await connect({ DATABASE_TLS_CA_FILE: join(dir, 'ca.crt') })).toBe(true)
})

test('without TLS the server refuses; TLS without its CA refuses the server', async () => {
  await expect(connect({})).rejects.toThrow('no encryption')
  await expect(connect({ DATABASE_TLS: 'true' })).rejects.toThrow(/certificate/)
})
