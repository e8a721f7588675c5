import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService } from '@switchyard/kit'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { start } from './start.ts'

// A service's own readiness check (ctx.addReadinessCheck): chat's "writes reach quorum" is one.
test("a service's own check runs in /readyz on its server and the listener, not on another service's", async () => {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-readiness-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  const service = (name: 'rag' | 'agent', ready?: boolean) =>
    defineService({
      name,
      configSchema: Type.Object({}),
      calls: [],
      needs: [],
      plugin: async (_app, ctx) => {
        if (ready !== undefined) ctx.addReadinessCheck?.('quorum', async () => ready)
      },
    })
  const switchyard = await start({
    services: { rag: service('rag', false), agent: service('agent') },
    env: { SWITCHYARD_DATA_DIR: join(root, 'data'), SWITCHYARD_LOG_LEVEL: 'silent' },
    homeDir: root,
    listen: false,
  })
  onTestFinished(() => switchyard.close())

  const readyz = async (app: typeof switchyard.app) => {
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    return { status: res.statusCode, failing: res.json().failing }
  }
  expect(await readyz(switchyard.app)).toEqual({ status: 503, failing: ['rag:quorum'] })
  expect(await readyz(switchyard.apps.rag as typeof switchyard.app)).toEqual({
    status: 503,
    failing: ['rag:quorum'],
  })
  expect(await readyz(switchyard.apps.agent as typeof switchyard.app)).toEqual({ status: 200, failing: [] })
})
