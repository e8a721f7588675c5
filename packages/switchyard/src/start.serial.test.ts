import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { expect, onTestFinished, test } from 'vitest'
import { sigterm, spawnSwitchyard } from './spawn-switchyard.ts'

/** Polled past the 10 s budget, so a slow start fails on the timing assertion with its real time. */
const startSwitchyard = (dataDir: string, home: string) =>
  spawnSwitchyard({ dataDir, home, healthyWithinMs: 30_000, env: { SWITCHYARD_METRICS_TOKEN: metricsToken } })
const metricsToken = 'start-test-metrics-token'

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
  expect(Object.keys(report.checks).sort()).toEqual([
    'bus:in-process',
    // The router is ready once it has read admin's config events to their end.
    'llm-router:admin-config',
    'objects:folder',
    'sql:pglite',
    'state:memory',
  ])

  const asScraper = { authorization: `Bearer ${metricsToken}` }
  const metrics = await (await fetch(`${first.url}/metrics`, { headers: asScraper })).text()
  expect(metrics).toContain('process_cpu_user_seconds_total')
  expect(metrics).toContain('nodejs_eventloop_lag_seconds')

  const stopped = await sigterm(first.child)
  console.log(`switchyard stopped ${Math.round(stopped.afterMs)} ms after SIGTERM`)
  expect({ code: stopped.code, signal: stopped.signal }, first.output()).toEqual({ code: 0, signal: null })
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
  const stoppedAgain = await sigterm(second.child)
  expect({ code: stoppedAgain.code, signal: stoppedAgain.signal }, second.output()).toEqual({
    code: 0,
    signal: null,
  })

  const reopened = await PGlite.create({ dataDir: pgliteDir })
  onTestFinished(() => reopened.close())
  expect((await reopened.query('SELECT note FROM start_test_marker')).rows).toEqual([{ note: 'kept' }])
}, 120_000)
