import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, onTestFinished, test } from 'vitest'
import { exitCodes } from './cli.ts'
import { runCli } from './cli-under-test.ts'
import { services } from './targets.ts'

const run = runCli

test('--help prints the commands and the targets, and exits 0', async () => {
  const { code, stdout } = await run(['--help'])
  expect(code).toBe(exitCodes.ok)
  expect(stdout).toContain('switchyard start [--target=<name>]')
  expect(stdout).toContain('switchyard migrate [--target=<name>]')
  expect(stdout).toMatch(/Targets:\n {2}all/)
})

test.each([
  { argv: [], says: 'Usage:' },
  { argv: ['frobnicate'], says: "unknown command 'frobnicate'; commands: start, migrate, keys, admin" },
  { argv: ['start', '--tagret=chat'], says: "Unknown option '--tagret'" },
  { argv: ['start', 'now'], says: "unexpected argument 'now'" },
  {
    argv: ['start', '--target=nope'],
    says: "unknown target 'nope'; valid targets: all, gateway, llm-router, chat, agent, rag, rag-worker, admin",
  },
])('$argv is a usage error (exit 2) that says so', async ({ argv, says }) => {
  const { code, stderr } = await run(argv)
  expect(code).toBe(exitCodes.usage)
  expect(stderr).toContain(says)
})

test('bad configuration lists every bad key, without a stack, and exits 1', async () => {
  const { code, stderr } = await run(['start'], { SWITCHYARD_PORT: 'eighty', SWITCHYARD_LOG_LEVEL: 'loud' })
  expect(code).toBe(exitCodes.failed)
  expect(stderr).toContain('SWITCHYARD_PORT: expected integer')
  expect(stderr).toContain('SWITCHYARD_LOG_LEVEL: expected one of')
  expect(stderr).not.toMatch(/^\s+at /m)
})

test("migrate (all) applies the registered services' migrations once, and exits 0", async () => {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-cli-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const env = { SWITCHYARD_DATA_DIR: join(root, 'data') }
  // What each registered service ships, read from its migrations folder; a service without
  // migrations is listed all the same.
  const shipped = await Promise.all(
    Object.values(services).map(async (service) => ({
      name: service.name,
      files: service.migrationsDir
        ? (await readdir(service.migrationsDir)).filter((file) => file.endsWith('.sql')).sort()
        : [],
    })),
  )
  const first = await run(['migrate'], env)
  expect(first.code).toBe(exitCodes.ok)
  for (const { name, files } of shipped) {
    if (files.length === 0) expect(first.stdout).toContain(`${name}: up to date (0 already applied)\n`)
    else expect(first.stdout).toContain(`${name}: applied ${files.join(', ')} (0 already applied)\n`)
  }
  const again = await run(['migrate'], env)
  for (const { name, files } of shipped)
    expect(again.stdout).toContain(`${name}: up to date (${files.length} already applied)\n`)
})

test('a data dir in use by another live process is refused with the fix, without a stack, exit 1', async () => {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-cli-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
  onTestFinished(() => {
    holder.kill()
  })
  await mkdir(join(root, 'data'))
  await writeFile(join(root, 'data', 'pglite.lock'), String(holder.pid))
  const { code, stderr } = await run(['start'], {
    SWITCHYARD_DATA_DIR: join(root, 'data'),
    SWITCHYARD_PORT: '0',
  })
  expect(code).toBe(exitCodes.failed)
  expect(stderr).toContain(
    `is in use by another switchyard (pid ${holder.pid}); stop it, or set SWITCHYARD_DATA_DIR`,
  )
  expect(stderr).not.toMatch(/^\s+at /m)
})
