// The must-show of issue #3 for usage: on the Kafka bus (with its outbox, as a single target runs
// it), every request the router answers produces exactly one llm.usage.v1 event, even when the
// broker restarts while requests keep coming. A consumer group (as admin's ledger) counts them.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type LlmUsageV1, llmUsageV1 } from '@switchyard/contracts'
import { createKafkaBus, type EventBus } from '@switchyard/events'
import { getInfra, ignoreSharedAdminConfig, restartKafka, startFakeOpenAI } from '@switchyard/testing'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { expect, onTestFinished, test, vi } from 'vitest'
import { oneModel, startRouter } from '../router-under-test.ts'

const { kafkaBrokers } = getInfra()
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
// Quick joins and rebalances: the broker restart makes every consumer rejoin.
const consumer = {
  sessionTimeout: 6_000,
  heartbeatInterval: 300,
  rebalanceTimeout: 3_000,
  maxWaitTimeInMs: 250,
}

async function kafkaBus(clientId: string, extra: Partial<Parameters<typeof createKafkaBus>[0]> = {}) {
  const bus: EventBus = await createKafkaBus({ brokers: kafkaBrokers, clientId, logger, consumer, ...extra })
  onTestFinished(() => bus.close())
  return bus
}

test('every request has exactly one llm.usage.v1 event, through a broker restart', async () => {
  const run = randomUUID()
  const outboxDir = await mkdtemp(join(tmpdir(), 'llm-router-outbox-'))
  onTestFinished(() => rm(outboxDir, { recursive: true, force: true }))
  const upstream = await startFakeOpenAI({ models: ['m'], record: false })
  onTestFinished(() => upstream.close())

  // The ledger's side: a group of its own, from the newest offset (the topic holds other runs').
  const eventIds = new Map<string, Set<string>>()
  const ledger = await kafkaBus(`usage-ledger-${run}`, { consumer: { ...consumer, fromBeginning: false } })
  await ledger.subscribe(llmUsageV1, `llm-router-usage-test.${run}`, async (event) => {
    const data: LlmUsageV1 = event.data
    if (!data.requestId.startsWith(run)) return
    const ids = eventIds.get(data.requestId) ?? new Set()
    ids.add(event.id) // a redelivery brings the same id again
    eventIds.set(data.requestId, ids)
  })

  // The router's side: as a single target runs it, with the outbox for outages.
  const busMetrics = new Registry()
  const bus = await kafkaBus(`llm-router-${run}`, { outboxDir, registry: busMetrics })
  const router = await startRouter(
    oneModel('chat', { provider: 'openai', baseUrl: upstream.url, model: 'm' }),
    // Its own catalog: the shared broker's admin.config.v1 holds other tests' catalogs.
    { bus, config: ignoreSharedAdminConfig() },
  )

  // Ready once it has read admin.config.v1 to its end; the shared broker's topic holds other
  // tests' events, so that can take seconds in a full run (until then it answers 503).
  await vi.waitFor(async () => expect((await fetch(`${router.url}/readyz`)).status).toBe(200), {
    timeout: 60_000,
    interval: 250,
  })

  const sent: string[] = []
  const request = async () => {
    const requestId = `${run}-${sent.length}`
    const stream = sent.length % 2 === 1
    sent.push(requestId)
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...router.headers, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({
        model: 'chat',
        stream,
        messages: [{ role: 'user', content: `n ${requestId}` }],
      }),
    })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    if (stream) expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
  }

  for (let i = 0; i < 10; i++) await request()
  // Requests keep coming while the broker goes down and comes back.
  let restarted = false
  const restart = restartKafka().then(() => {
    restarted = true
  })
  let during = 0
  while (!restarted) {
    await request()
    during++
    await sleep(50)
  }
  await restart
  for (let i = 0; i < 10; i++) await request()
  expect(during).toBeGreaterThan(0)

  await vi.waitFor(() => expect(eventIds.size).toBe(sent.length), { timeout: 90_000, interval: 250 })
  // A little longer, so a late duplicate publish would show.
  await sleep(1_000)
  expect([...eventIds.keys()].sort()).toEqual([...sent].sort())
  const published = [...eventIds.values()].map((ids) => ids.size)
  expect(published.filter((count) => count !== 1)).toEqual([])
  // The outage was felt: some events went to the outbox and were replayed from it.
  const buffered = await busMetrics.getSingleMetric('events_buffered_total')?.get()
  expect(buffered?.values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(0)
}, 240_000)
