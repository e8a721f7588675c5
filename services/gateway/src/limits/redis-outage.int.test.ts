// The gateway as a pod on the shared Kafka and a Redis of its own (a real redis-server this test starts, so it can pause
// and kill it without touching the shared one). Its rate limits fail open: while Redis hangs or is
// down, requests are still answered, each slowed by at most the command timeout, and the limits
// count again once Redis is back.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KeyResolution } from '@switchyard/contracts'
import { createInternalTokenVerifier, generateInternalKeyPair } from '@switchyard/kit'
import { connectRedis } from '@switchyard/state'
import { answerKeyResolution, buildTestApp, getInfra, startHttpStandIn } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { gatewayService } from '../service.ts'

const perKey = 1_000
const key = 'sk-sy-redis-outage-test-key-0123456789abcdef'
const resolution: KeyResolution = {
  orgId: 'org-redis-outage',
  userId: 'user-redis-outage',
  keyId: 'key-redis-outage',
  scopes: ['admin:read'],
  expiresAt: null,
}

/** A redis-server of this test's own, on a free loopback port, with no persistence. */
class PrivateRedis {
  private process: ChildProcess | undefined
  readonly port: number
  private readonly dir: string
  constructor(port: number, dir: string) {
    this.port = port
    this.dir = dir
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`
  }
  async start() {
    this.process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore' },
    )
    await vi.waitFor(
      async () => {
        const probe = await connectRedis(this.url, { commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 })
        probe.disconnect()
      },
      { timeout: 10_000, interval: 50 },
    )
  }
  signal(signal: NodeJS.Signals) {
    this.process?.kill(signal)
  }
  async stop() {
    const running = this.process
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    running.kill('SIGCONT')
    running.kill('SIGKILL')
    await once(running, 'exit')
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

let dir: string
let redis: PrivateRedis
let gatewayUrl: string
let close: () => Promise<void>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-redis-outage-'))
  redis = new PrivateRedis(await freePort(), dir)
  await redis.start()
  const keys = generateInternalKeyPair()
  const admin = await startHttpStandIn('admin', createInternalTokenVerifier({ publicKey: keys.publicKey }))
  admin.answer(answerKeyResolution(new Map([[key, resolution]])))
  const gateway = await buildTestApp({
    target: 'gateway',
    services: { gateway: gatewayService },
    listen: true,
    env: {
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
      REDIS_URL: redis.url,
      KAFKA_BROKERS: getInfra().kafkaBrokers.join(','),
      REDIS_COMMAND_TIMEOUT_MS: '200ms',
      SWITCHYARD_SERVICE_URL_TEMPLATE: admin.url,
      GATEWAY_RATE_LIMIT_PER_KEY: String(perKey),
      GATEWAY_RATE_LIMIT_PER_ORG: '0',
    },
  })
  gatewayUrl = gateway.url
  close = async () => {
    await gateway.close()
    await admin.close()
  }
}, 60_000)

afterAll(async () => {
  await close?.()
  await redis?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

/** `count` requests at once, as a load would send them: their statuses and the limit they saw. */
async function burst(count: number): Promise<{ statuses: number[]; remaining: (string | null)[] }> {
  const responses = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${gatewayUrl}/admin/v1/keys`, { headers: { authorization: `Bearer ${key}` } }),
    ),
  )
  for (const res of responses) await res.arrayBuffer()
  return {
    statuses: responses.map((res) => res.status),
    remaining: responses.map((res) => res.headers.get('x-ratelimit-remaining')),
  }
}

// Before ioredis was given a command timeout and no offline queue, each of these requests waited on
// Redis: for as long as it hung (forever), or through 20 reconnection retries when it was down.
test('while Redis hangs, requests are answered (fail open)', async () => {
  const healthy = await burst(5)
  expect(healthy.statuses).toEqual([200, 200, 200, 200, 200])
  expect(healthy.remaining.every((r) => r !== null && Number(r) < perKey)).toBe(true)

  redis.signal('SIGSTOP')
  try {
    const hung = await burst(20)
    expect(hung.statuses).toEqual(Array.from({ length: 20 }, () => 200))
  } finally {
    redis.signal('SIGCONT')
  }
  // The same connection counts again once Redis wakes up.
  const before = Number((await burst(1)).remaining[0])
  await vi.waitFor(async () => expect(Number((await burst(1)).remaining[0])).toBeLessThan(before), {
    timeout: 10_000,
  })
}, 30_000)

test('while Redis is down, requests are answered at once, and limits count again when it is back', async () => {
  await redis.stop()
  const down = await burst(20)
  expect(down.statuses).toEqual(Array.from({ length: 20 }, () => 200))

  await redis.start()
  // ioredis reconnects in the background; the limit headers come back with the counter.
  await vi.waitFor(async () => expect((await burst(1)).remaining[0]).toBe(String(perKey - 1)), {
    timeout: 15_000,
    interval: 100,
  })
}, 40_000)
