import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { expect, onTestFinished, test } from 'vitest'
import { startLocalPostgres } from './pglite.ts'

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pglite-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('serves pgvector over the Postgres protocol, and refuses a second open of the same data dir', async () => {
  const dataDir = join(await tempDir(), 'pglite')
  const local = await startLocalPostgres({ dataDir })
  onTestFinished(() => local.close())
  const client = new pg.Client({ connectionString: local.url })
  await client.connect()
  onTestFinished(() => client.end())
  await client.query('CREATE EXTENSION IF NOT EXISTS vector')
  const { rows } = await client.query("SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector AS distance")
  expect(rows).toEqual([{ distance: 2 }])

  expect(await readFile(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid))
  await expect(startLocalPostgres({ dataDir })).rejects.toThrow('already open in this process')
})

test('a lock left by a process that is gone is taken over; one held by a live process is refused', async () => {
  const dataDir = join(await tempDir(), 'pglite')
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
  onTestFinished(() => {
    child.kill()
  })
  await writeFile(`${dataDir}.lock`, String(child.pid))
  await expect(startLocalPostgres({ dataDir })).rejects.toThrow(
    `in use by another switchyard (pid ${child.pid})`,
  )

  child.kill()
  await new Promise((resolve) => child.once('exit', resolve))
  const local = await startLocalPostgres({ dataDir })
  await local.close()
  // Closing releases the lock for the next start.
  await expect(readFile(`${dataDir}.lock`, 'utf8')).rejects.toThrow('ENOENT')
})

test('a new database comes from the install template, or from initdb without one, and both serve pgvector', async () => {
  const root = await tempDir()
  for (const [name, template] of [
    ['from-template', undefined],
    ['from-initdb', false],
  ] as const) {
    const local = await startLocalPostgres({
      dataDir: join(root, name),
      ...(template === false && { template }),
    })
    const client = new pg.Client({ connectionString: local.url })
    await client.connect()
    await client.query('CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE kept (v vector(2))')
    await client.query("INSERT INTO kept VALUES ('[1,1]')")
    await client.end()
    await local.close()
    // Reopened: the existing database is used as it is, never overwritten by the template.
    const again = await startLocalPostgres({ dataDir: join(root, name) })
    const check = new pg.Client({ connectionString: again.url })
    await check.connect()
    expect((await check.query('SELECT v::text FROM kept')).rows, name).toEqual([{ v: '[1,1]' }])
    await check.end()
    await again.close()
  }
}, 120_000)

test('another local user cannot connect to the local database', async () => {
  const local = await startLocalPostgres({ dataDir: join(await tempDir(), 'pglite') })
  onTestFinished(() => local.close())
  const { hostname, port } = new URL(local.url)
  const socketDir = decodeURIComponent(hostname)
  // Where the socket is: a path (a unix socket in its folder) or a TCP address.
  const target = socketDir.startsWith('/')
    ? { path: join(socketDir, `.s.PGSQL.${port || 5432}`) }
    : { host: socketDir, port: Number(port) }
  // As root the test can be someone else: `nobody` tries to open a connection.
  const probe = `const s = require('net').connect(${JSON.stringify(target)});
    s.on('connect', () => { console.log('connected'); s.destroy() });
    s.on('error', (e) => console.log(e.code))`
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
  const child = spawn(process.execPath, ['-e', probe], asNobody)
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  await new Promise((resolve) => child.once('exit', resolve))
  if (process.getuid?.() === 0) expect(out.trim()).toBe('EACCES')
  // Whoever runs it, the socket is in a folder only its owner can enter.
  expect(socketDir.startsWith('/')).toBe(true)
  expect((await stat(socketDir)).mode & 0o777).toBe(0o700)
})
