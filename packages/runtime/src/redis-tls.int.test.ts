// TLS to Redis on a real server: a throwaway redis-server (Debian's is built with TLS) on a TLS-only
// port, with a CA and a server certificate made by openssl here. The client options come from the
// config keys an operator sets (REDIS_TLS_CA_FILE), through the same function start.ts uses.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@switchyard/config'
import { connectRedis } from '@switchyard/state'
import { freePort, makeTestCertificates } from '@switchyard/test-backends'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { redisOptions } from './client-options.ts'
import { RuntimeConfig } from './config.ts'

let dir: string
let server: ChildProcess | undefined
let port: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-redis-tls-'))
  const file = (name: string) => join(dir, name)
  await makeTestCertificates(dir)
  port = await freePort()
  server = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      file('server.crt'),
      '--tls-key-file',
      file('server.key'),
      '--tls-ca-cert-file',
      file('ca.crt'),
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  // Ready when it says so on stdout.
  await new Promise<void>((resolve, reject) => {
    let out = ''
    server?.stdout?.on('data', (chunk) => {
      out += chunk
      if (out.includes('Ready to accept connections')) resolve()
    })
    server?.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
  })
}, 60_000)

afterAll(async () => {
  server?.kill()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const timeouts = { commandTimeoutMs: 2_000, connectTimeoutMs: 2_000 }
const optionsFor = (url: string, env: Record<string, string>) =>
  redisOptions(loadConfig(RuntimeConfig, env), url)

test('REDIS_TLS_CA_FILE: a rediss:// URL connects to a TLS-only Redis and verifies its certificate', async () => {
  const url = `rediss://127.0.0.1:${port}`
  const redis = await connectRedis(url, {
    ...timeouts,
    ...optionsFor(url, { REDIS_TLS_CA_FILE: join(dir, 'ca.crt') }),
  })
  try {
    expect(await redis.ping()).toBe('PONG')
  } finally {
    redis.disconnect()
  }
})

test('without the CA the server certificate is refused; plain TCP to the TLS port gets no answer', async () => {
  const url = `rediss://127.0.0.1:${port}`
  await expect(connectRedis(url, { ...timeouts, ...optionsFor(url, {}) })).rejects.toThrow('did not answer')
  const plain = `redis://127.0.0.1:${port}`
  await expect(connectRedis(plain, { ...timeouts, ...optionsFor(plain, {}) })).rejects.toThrow(
    'did not answer',
  )
})
