// admin.config.v1 on a real Kafka, with admin's public key configured: an event someone else
// wrote to the topic (signed with another key, or not signed) is dropped, logged and counted;
// admin's own is applied.
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { type AdminConfigV1, adminConfigV1 } from '@switchyard/contracts'
import {
  createKafkaBus,
  type EventBus,
  eventSigningKey,
  eventVerifyKey,
  signEventData,
} from '@switchyard/events'
import { createMemoryState } from '@switchyard/state'
import { getInfra } from '@switchyard/testing'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest'
import { buildCatalog } from '../catalog/load.ts'
import { adminCatalogPolicy } from '../catalog/policy.ts'
import { oneModel } from '../router-under-test.ts'
import { ModelRouter } from '../routing/router.ts'
import { providers } from '../upstreams/registry.ts'
import { subscribeAdminConfig } from './subscriber.ts'

const logger = pino({ level: 'silent' })
let bus: EventBus

beforeAll(async () => {
  bus = await createKafkaBus({
    brokers: getInfra().kafkaBrokers,
    clientId: `signed-config-${randomUUID()}`,
    logger,
    consumer: {
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      rebalanceTimeout: 3_000,
      maxWaitTimeInMs: 250,
    },
  })
}, 60_000)
afterAll(() => bus?.close())

const keyPair = () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { signing: eventSigningKey(pem), verifying: eventVerifyKey(pem) }
}

test('a forged or unsigned config event is not applied; admin-signed ones are', async () => {
  const admin = keyPair()
  const attacker = keyPair()
  const state = createMemoryState()
  onTestFinished(() => state.close())
  const router = new ModelRouter({ providers, state, logger })
  onTestFinished(() => router.close())
  const catalog = (alias: string) =>
    oneModel(alias, { provider: 'openai', baseUrl: 'http://u/v1', model: 'm' })
  const start = buildCatalog(catalog('start'), { providers })
  router.applyCatalog(start)
  const metrics = new Registry()
  const dropped: { version: number }[] = []
  const logs = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(chunk.toString()) as { msg: string; version: number }
      if (line.msg.includes('without a valid admin signature')) dropped.push(line)
      done()
    },
  })
  const subscription = await subscribeAdminConfig(bus, randomUUID(), {
    router,
    providers,
    logger: pino({ level: 'error' }, logs),
    policy: adminCatalogPolicy({}, start),
    verifyKey: admin.verifying,
    metrics,
  })
  onTestFinished(() => subscription.close())

  // Versions far above any this topic's history holds for routes, so none is stale.
  const base = Date.now()
  const routes = (version: number, alias: string): AdminConfigV1 => ({
    kind: 'routes',
    orgId: null,
    version: base + version,
    payload: { alias, model: (catalog(alias) as { models: Record<string, unknown> }).models[alias] },
  })
  const forged = routes(1, 'forged')
  await bus.publish(adminConfigV1, 'routes:platform:signed-test', {
    ...forged,
    signature: signEventData(forged, attacker.signing),
  })
  await bus.publish(adminConfigV1, 'routes:platform:signed-test', routes(2, 'unsigned'))
  const tampered = routes(3, 'tampered')
  const genuineSignature = signEventData(routes(3, 'genuine'), admin.signing)
  await bus.publish(adminConfigV1, 'routes:platform:signed-test', {
    ...tampered,
    signature: genuineSignature,
  })
  const genuine = routes(4, 'genuine')
  await bus.publish(adminConfigV1, 'routes:platform:signed-test', {
    ...genuine,
    signature: signEventData(genuine, admin.signing),
  })

  // One key, one partition: by the time the genuine one is applied the others were handled.
  await vi.waitFor(() => expect([...(router.catalog?.aliases.keys() ?? [])]).toContain('genuine'), {
    timeout: 60_000,
    interval: 100,
  })
  expect([...(router.catalog?.aliases.keys() ?? [])]).not.toContain('forged')
  expect([...(router.catalog?.aliases.keys() ?? [])]).not.toContain('unsigned')
  expect([...(router.catalog?.aliases.keys() ?? [])]).not.toContain('tampered')
  // The topic's history (other suites' unsigned events) is dropped too: count this test's own.
  const mine = dropped.filter((line) => line.version > base).map((line) => line.version - base)
  expect(mine.sort()).toEqual([1, 2, 3])
  const rejected = await metrics.getSingleMetric('llm_router_config_events_rejected_total')?.get()
  expect(rejected?.values[0]?.labels).toEqual({ reason: 'signature' })
  expect(rejected?.values[0]?.value).toBe(dropped.length)
})
