// A production target never logs a secret: the first start of admin as a single target, with
// ADMIN_BOOTSTRAP_* on a fresh PostgreSQL, makes the owner and its key, and its whole log stream
// carries neither that key nor anything shaped like one.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateInternalKeyPair } from '@switchyard/kit'
import { migrateTarget, start } from '@switchyard/runtime'
import { createScratchDatabase, getInfra } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { adminService } from '../service.ts'

test('the first start of a single admin target logs what bootstrap made, never the key', async () => {
  const infra = getInfra()
  const database = await createScratchDatabase('admin_logs', { max: 1 })
  onTestFinished(() => database.drop())
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-admin-logs-'))
  onTestFinished(() => rm(dataDir, { recursive: true, force: true }))
  const ownerEmail = `owner-${randomUUID()}@example.com`
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url.toString(),
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    INTERNAL_TOKEN_PUBLIC_KEY: generateInternalKeyPair().publicKey,
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_LOG_LEVEL: 'trace',
    ADMIN_BOOTSTRAP_ORG: 'Operator',
    ADMIN_BOOTSTRAP_OWNER_EMAIL: ownerEmail,
  }
  const services = { admin: adminService }
  await migrateTarget({ target: 'admin', env, services, homeDir: dataDir })
  let log = ''
  const switchyard = await start({
    target: 'admin',
    env,
    services,
    homeDir: dataDir,
    listen: false,
    logDestination: {
      write: (line) => {
        log += line
      },
    },
  })
  await switchyard.close()

  const { pool } = database
  const { rows } = await pool.query<{ id: string; prefix: string }>('SELECT id, prefix FROM api_keys')
  expect(rows).toHaveLength(1)
  const [key] = rows as [{ id: string; prefix: string }]
  // What it made is logged, with the way to a key...
  expect(log).toContain(`owner ${ownerEmail}`)
  expect(log).toContain(key.id)
  expect(log).toContain('switchyard keys create --target=admin')
  // ...but no part of the key: not its public prefix, let alone the secret after it.
  expect(log).not.toContain(key.prefix)
  expect(log).not.toMatch(/sy_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}/)
}, 120_000)
