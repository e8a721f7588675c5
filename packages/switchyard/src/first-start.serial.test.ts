// Run alone (the serial project): it spawns the whole platform twice and opens its PGlite in this
// process, and once, sharing the CPU with the unit suite in CI, its worker died of SIGSEGV.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withTargetDatabase } from '@switchyard/runtime'
import { expect, onTestFinished, test } from 'vitest'
import { exitCodes } from './cli.ts'
import { runCli } from './cli-under-test.ts'
import { firstStart, localOwner } from './first-run.ts'
import { sigterm, spawnSwitchyard } from './spawn-switchyard.ts'
import { services } from './targets.ts'

const keyShape = /sy_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}/g

const run = runCli

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-first-start-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  return root
}

test('the first start makes an owner key, prints it once and saves it 0600 in a 0700 folder; keys recovers it', async () => {
  const root = await tempRoot()
  const dataDir = join(root, 'data')

  const first = await spawnSwitchyard({ dataDir, home: root, healthyWithinMs: 90_000 })
  const printed = first.output().match(keyShape) ?? []
  expect(printed, first.output()).toHaveLength(1)
  const key = printed[0] as string
  expect(first.output()).toContain(
    `First start: created org "${localOwner.orgName}" with owner ${localOwner.ownerEmail}.\n` +
      `Owner API key (printed once; saved in ${join(dataDir, 'credentials')}, readable only by you): ${key}\n`,
  )
  const file = join(dataDir, 'credentials')
  expect(await readFile(file, 'utf8')).toContain(`SWITCHYARD_API_KEY=${key}\n`)
  expect((await stat(file)).mode & 0o777).toBe(0o600)
  expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
  // The key is a way in: the owner lists their org's keys through the gateway.
  const keys = await fetch(`${first.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${key}` } })
  expect(keys.status).toBe(200)
  expect(await sigterm(first.child)).toMatchObject({ code: 0 })

  // Later starts find the org: nothing is made, printed or overwritten.
  const second = await spawnSwitchyard({ dataDir, home: root, healthyWithinMs: 90_000 })
  expect(second.output()).not.toMatch(keyShape)
  expect(second.output()).not.toContain('First start')
  expect(await sigterm(second.child)).toMatchObject({ code: 0 })
  expect(await readFile(file, 'utf8')).toContain(`SWITCHYARD_API_KEY=${key}\n`)

  // Lost key: a new one for the owner, at a shell, without SQL; then the old one revoked.
  const env = { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_LOG_LEVEL: 'silent' }
  const created = await run(['keys', 'create', '--email', localOwner.ownerEmail, '--name', 'laptop'], env)
  expect(created.code, created.stderr).toBe(exitCodes.ok)
  const another = created.stdout.trim()
  expect(another).toMatch(new RegExp(`^${keyShape.source}$`))
  expect(another).not.toBe(key)

  const listed = await run(['keys', 'list'], env)
  expect(listed.code).toBe(exitCodes.ok)
  const rows = listed.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
  const prefixOf = (secret: string) => secret.split('_').slice(0, 2).join('_')
  const byPrefix = new Map(rows.map((row) => [row[4], row]))
  expect([...byPrefix.keys()].sort()).toEqual([prefixOf(key), prefixOf(another)].sort())
  expect(byPrefix.get(prefixOf(another))?.[3]).toBe('laptop')
  const oldId = byPrefix.get(prefixOf(key))?.[0] as string

  const revoked = await run(['keys', 'revoke', oldId], env)
  expect(revoked).toMatchObject({ code: exitCodes.ok, stdout: `${oldId} revoked\n` })
  const after = await run(['keys', 'list'], env)
  expect(after.stdout).toMatch(new RegExp(`^${oldId}\\t.*\\trevoked\\t`, 'm'))

  // Bootstrap is for an empty database only.
  const again = await run(['admin', 'bootstrap', '--org', 'x', '--owner-email', 'x@y.test'], env)
  expect(again.code).toBe(exitCodes.failed)
  expect(again.stderr).toContain('already exist')
}, 300_000)

test('admin bootstrap on an empty data folder prints the owner key on stdout; bad command lines exit 2', async () => {
  const env = { SWITCHYARD_DATA_DIR: join(await tempRoot(), 'data'), SWITCHYARD_LOG_LEVEL: 'silent' }
  const made = await run(['admin', 'bootstrap', '--org', 'Acme', '--owner-email', 'ops@acme.test'], env)
  expect(made.code, made.stderr).toBe(exitCodes.ok)
  expect(made.stdout).toMatch(new RegExp(`^${keyShape.source}\\n$`))

  for (const argv of [
    ['keys'],
    ['keys', 'frob'],
    ['keys', 'create'],
    ['keys', 'revoke'],
    ['keys', 'list', '--target=chat'],
    ['keys', 'create', '--email', 'ops@acme.test', '--scopes', 'internal:catalog'],
    ['admin', 'destroy'],
  ]) {
    const result = await run(argv, env)
    expect(result.code, argv.join(' ')).toBe(exitCodes.usage)
  }
  const stranger = await run(['keys', 'create', '--email', 'nobody@acme.test'], env)
  expect(stranger.code).toBe(exitCodes.failed)
  expect(stranger.stderr).toContain('is not a member of org')
}, 120_000)

test('with NODE_ENV=production the first start saves the key without printing it, where SWITCHYARD_CREDENTIALS_FILE says', async () => {
  const root = await tempRoot()
  const file = join(root, 'secrets', 'switchyard.env')
  const env = {
    NODE_ENV: 'production',
    SWITCHYARD_DATA_DIR: join(root, 'data'),
    SWITCHYARD_CREDENTIALS_FILE: file,
    SWITCHYARD_LOG_LEVEL: 'silent',
  }
  await withTargetDatabase({ target: 'all', env, services }, async (sql) => {
    let printed = ''
    const stderr = (text: string) => {
      printed += text
    }
    expect(await firstStart({ sql, env, homeDir: root, stderr })).toBe(file)
    expect(printed).not.toMatch(keyShape)
    expect(printed).toContain('(not printed with NODE_ENV=production)')
    const saved = (await readFile(file, 'utf8')).match(keyShape)
    expect(saved).toHaveLength(1)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(root, 'secrets'))).mode & 0o777).toBe(0o700)
    // Once an org exists, nothing is made again.
    expect(await firstStart({ sql, env, homeDir: root, stderr })).toBeNull()
  })
}, 120_000)
