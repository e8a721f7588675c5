// pnpm bench:gateway: what the gateway adds to a call. The llm-router (over a fake upstream), the
// gateway in front of it and a bare proxy in front of it each run in a child process of their
// own; this process sends non-streamed chat completions straight to the router (with an internal
// token, as a service would), through the gateway (with an API key, as a user would) and through
// the bare proxy (the floor of any extra hop), rotating the paths segment by segment so that all
// see the same machine. Two phases: one request at a time (latency: what a request pays) and
// BENCH_CONCURRENCY at a time (throughput). The last line is the result, gateway against direct.
// Knobs: BENCH_REQUESTS (per segment), BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_REDIS_URL (the
// gateway's rate limits on Redis instead of in memory).
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { Pool } from 'undici'
import type { Setup } from './servers.ts'
import { overheadLine, type PathResult, type PathSummary, summarize } from './stats.ts'

const requestsPerSegment = Number(process.env.BENCH_REQUESTS ?? 1_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16)
const model = 'bench-model'
const apiKey = `sy_benchkey_${'b'.repeat(40)}`
const body = JSON.stringify({
  model,
  messages: [{ role: 'user', content: 'How far is the moon from here?' }],
  max_tokens: 16,
})

const paths = ['direct', 'gateway', 'proxy'] as const
type Path = (typeof paths)[number]
interface Target {
  pool: Pool
  authorization: string
}

const children: ChildProcess[] = []

async function spawn(role: 'router' | 'gateway' | 'proxy', setup: Setup): Promise<string> {
  const child = fork(fileURLToPath(new URL('./servers.ts', import.meta.url)), [role], { stdio: 'inherit' })
  children.push(child)
  const url = new Promise<string>((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve(message.url))
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before listening`)))
  })
  child.send(setup)
  return url
}

/** `count` requests, `parallel` at a time, each timed; fails on any answer but a 200. */
async function segment(target: Target, count: number, parallel: number, into: PathResult): Promise<void> {
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < count) {
      next++
      const sent = performance.now()
      const res = await target.pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { authorization: target.authorization, 'content-type': 'application/json' },
        body,
      })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`answer ${res.statusCode}: ${text}`)
      into.latenciesMs.push(performance.now() - sent)
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  into.elapsedMs += performance.now() - started
  into.requests += count
}

async function phase(name: string, parallel: number, targets: Record<Path, Target>) {
  const results = Object.fromEntries(
    paths.map((path) => [path, { latenciesMs: [], requests: 0, elapsedMs: 0 } as PathResult]),
  ) as Record<Path, PathResult>
  for (let round = 0; round < rounds; round++) {
    // Each round starts with the next path, so that none always runs first.
    const order = paths.map((_, i) => paths[(i + round) % paths.length] as Path)
    for (const path of order) await segment(targets[path], requestsPerSegment, parallel, results[path])
  }
  const summaries = Object.fromEntries(paths.map((path) => [path, summarize(results[path])])) as Record<
    Path,
    PathSummary
  >
  for (const path of paths) {
    const s = summaries[path]
    console.log(
      `phase=${name} concurrency=${parallel} path=${path} requests=${s.requests} p50_ms=${s.p50Ms.toFixed(3)} p99_ms=${s.p99Ms.toFixed(3)} rps=${s.rps.toFixed(0)}`,
    )
  }
  return summaries
}

async function main(): Promise<void> {
  const keys = generateInternalKeyPair()
  const setup: Setup = {
    ...keys,
    model,
    apiKey,
    ...(process.env.BENCH_REDIS_URL && { redisUrl: process.env.BENCH_REDIS_URL }),
  }
  const routerUrl = await spawn('router', setup)
  const [gatewayUrl, proxyUrl] = await Promise.all([
    spawn('gateway', { ...setup, routerUrl }),
    spawn('proxy', { ...setup, routerUrl }),
  ])
  // A service's token, reused as a service reuses its caller's (the router's verified-token cache hits).
  const internal = await createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 3_600 }).sign({
    orgId: 'org_bench',
    userId: 'user_bench',
    keyId: 'key_bench',
    scopes: ['llm:use'],
  })
  const pool = (url: string) => new Pool(url, { connections: concurrency })
  const targets: Record<Path, Target> = {
    direct: { pool: pool(routerUrl), authorization: `Bearer ${internal}` },
    gateway: { pool: pool(gatewayUrl), authorization: `Bearer ${apiKey}` },
    proxy: { pool: pool(proxyUrl), authorization: `Bearer ${internal}` },
  }
  console.log(
    `gateway benchmark: ${rounds} rounds of ${requestsPerSegment} requests per path and phase, concurrency 1 and ${concurrency}; gateway rate limits in ${setup.redisUrl ? 'Redis' : 'memory'}`,
  )
  // Warm every path (JIT, connection pools, the gateway's key cache) before anything is measured.
  const warm: PathResult = { latenciesMs: [], requests: 0, elapsedMs: 0 }
  for (const path of paths) await segment(targets[path], 500, concurrency, warm)
  const latency = await phase('latency', 1, targets)
  const throughput = await phase('throughput', concurrency, targets)
  await Promise.all(paths.map((path) => targets[path].pool.close()))
  console.log(overheadLine(latency, throughput))
}

try {
  await main()
} finally {
  for (const child of children) child.disconnect()
}
