// What a listener shows to anyone who can reach it: metrics only with the metrics token or on
// their own loopback listener, the API docs only where the config (or the shape's default) says.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService, generateInternalKeyPair } from '@switchyard/kit'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import type { ServiceRegistry } from './plan.ts'
import { start } from './start.ts'

const registry: ServiceRegistry = {
  chat: defineService({
    name: 'chat',
    configSchema: Type.Object({}),
    calls: [],
    needs: [],
    plugin: async (app) => {
      app.get('/v1/conversations', { schema: { summary: 'List' } }, async () => [])
    },
  }),
}

async function startWith(env: Record<string, string>, target?: string) {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-edge-'))
  const switchyard = await start({
    ...(target !== undefined && { target }),
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'silent',
      SWITCHYARD_HOST: '127.0.0.1',
      SWITCHYARD_PORT: '0',
      INTERNAL_TOKEN_PUBLIC_KEY: generateInternalKeyPair().publicKey,
      ...env,
    },
    services: registry,
    homeDir: root,
  })
  onTestFinished(async () => {
    await switchyard.close()
    await rm(root, { recursive: true, force: true })
  })
  return switchyard
}

test('without a metrics token or port, no server answers /metrics', async () => {
  const switchyard = await startWith({})
  expect((await fetch(`${switchyard.url}/metrics`)).status).toBe(404)
  expect((await switchyard.apps.chat?.inject({ method: 'GET', url: '/metrics' }))?.statusCode).toBe(404)
  expect(switchyard.metricsUrl).toBeUndefined()
})

test('with SWITCHYARD_METRICS_TOKEN, /metrics answers only a caller that bears it', async () => {
  const token = 'metrics-token-for-this-test'
  const switchyard = await startWith({ SWITCHYARD_METRICS_TOKEN: token })
  const missing = await fetch(`${switchyard.url}/metrics`)
  expect(missing.status).toBe(401)
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('KIT_ERR_UNAUTHENTICATED')
  const wrong = await fetch(`${switchyard.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })
  expect(wrong.status).toBe(401)
  const right = await fetch(`${switchyard.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  expect(right.status).toBe(200)
  expect(await right.text()).toContain('http_request_duration_seconds')
})

test('with SWITCHYARD_METRICS_PORT, metrics have a listener of their own on the loopback interface', async () => {
  const switchyard = await startWith({ SWITCHYARD_METRICS_PORT: '0' })
  expect((await fetch(`${switchyard.url}/metrics`)).status).toBe(404)
  const metricsUrl = switchyard.metricsUrl as string
  expect(new URL(metricsUrl).hostname).toBe('127.0.0.1')
  expect(new URL(metricsUrl).port).not.toBe(new URL(switchyard.url).port)
  const res = await fetch(`${metricsUrl}/metrics`)
  expect(res.status).toBe(200)
  expect(await res.text()).toContain('http_request_duration_seconds')
})

test('the API docs are served in one process and not by a single target, unless SWITCHYARD_DOCS says', async () => {
  const all = await startWith({})
  expect((await fetch(`${all.url}/docs/json`)).status).toBe(200)
  const pod = await startWith({}, 'chat')
  expect((await fetch(`${pod.url}/docs/json`)).status).toBe(404)
  expect((await fetch(`${pod.url}/docs`)).status).toBe(404)
  const podWithDocs = await startWith({ SWITCHYARD_DOCS: 'true' }, 'chat')
  expect((await fetch(`${podWithDocs.url}/docs/json`)).status).toBe(200)
  const allWithout = await startWith({ SWITCHYARD_DOCS: 'false' })
  expect((await fetch(`${allWithout.url}/docs/json`)).status).toBe(404)
})
