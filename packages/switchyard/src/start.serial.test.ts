import { type ChildProcess, spawn } from 'node:child_process'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { expect, onTestFinished, test } from 'vitest'

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url))

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address !== 'object') throw new Error('no port')
  return address.port
}

interface Started {
  child: ChildProcess
  url: string
  /** Milliseconds from spawn to the first 200 from /healthz. */
  healthyAfterMs: number
  output: () => string
}

/** `switchyard start` as a user runs it, with nothing in the environment but a data dir and a port. */
async function startSwitchyard(dataDir: string, home: string): Promise<Started> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, [bin, 'start'], {
    // No DATABASE_URL, REDIS_URL or KAFKA_BROKERS: nothing external exists.
    env: {
      PATH: process.env.PATH,
      HOME: home,
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_PORT: String(port),
      SWITCHYARD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  // Poll past the 10 s budget, so a slow start fails on the timing assertion with its real time.
  const deadline = spawnedAt + 30_000
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`switchyard exited with ${child.exitCode}:\n${output}`)
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.status === 200,
      () => false,
    )
    if (ok) return { child, url, healthyAfterMs: performance.now() - spawnedAt, output: () => output }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`switchyard did not answer /healthz within 30 s:\n${output}`)
}

async function sigterm(child: ChildProcess): Promise<{ code: number | null; afterMs: number }> {
  const sentAt = performance.now()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(r, 10_000, 'timeout'))])
  if (code === 'timeout') throw new Error('switchyard did not exit within 10 s of SIGTERM')
  return { code, afterMs: performance.now() - sentAt }
}

test('switchyard start comes up with no external service in under 10 s, answers health, readiness and metrics, and stops on SIGTERM', async () => {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-start-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const dataDir = join(root, 'data')

  const first = await startSwitchyard(dataDir, root)
  console.log(
    `switchyard start (fresh data dir): /healthz answered ${Math.round(first.healthyAfterMs)} ms after spawn`,
  )
  expect(first.healthyAfterMs).toBeLessThan(10_000)

  const ready = await fetch(`${first.url}/readyz`)
  expect(ready.status).toBe(200)
  const report = (await ready.json()) as { status: string; checks: Record<string, { status: string }> }
  expect(report.status).toBe('ready')
  expect(Object.keys(report.checks).sort()).toEqual(['bus:in-process', 'sql:pglite', 'state:memory'])

  const metrics = await (await fetch(`${first.url}/metrics`)).text()
  expect(metrics).toContain('process_cpu_user_seconds_total')
  expect(metrics).toContain('nodejs_eventloop_lag_seconds')

  const stopped = await sigterm(first.child)
  console.log(`switchyard stopped ${Math.round(stopped.afterMs)} ms after SIGTERM`)
  expect(stopped.code, first.output()).toBe(0)
  expect(stopped.afterMs).toBeLessThan(5_000)

  // The database was written to the data dir and closed cleanly: another PGlite opens it and
  // leaves a row for the next start to keep.
  const pgliteDir = join(dataDir, 'pglite')
  await access(join(pgliteDir, 'PG_VERSION'))
  const db = await PGlite.create({ dataDir: pgliteDir })
  await db.exec("CREATE TABLE start_test_marker (note text); INSERT INTO start_test_marker VALUES ('kept')")
  await db.close()

  const second = await startSwitchyard(dataDir, root)
  console.log(
    `switchyard start (existing data dir): /healthz answered ${Math.round(second.healthyAfterMs)} ms after spawn`,
  )
  expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
  expect((await sigterm(second.child)).code, second.output()).toBe(0)

  const reopened = await PGlite.create({ dataDir: pgliteDir })
  onTestFinished(() => reopened.close())
  expect((await reopened.query('SELECT note FROM start_test_marker')).rows).toEqual([{ note: 'kept' }])
}, 120_000)
