// pnpm bench:router: what the llm-router adds to a call, against the same call made directly to
// the upstream and through a bare Node proxy (the floor), measured in one run with the three paths
// interleaved round by round so that the machine's noise falls on all of them alike.
// Processes: the upstream, the proxy and the router each in its own; this one generates the load.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { Client, Pool } from 'undici'
import { concurrent, type Samples, sequential, type Throughput } from './load.ts'
import { type Child, startChild } from './processes.ts'
import { rotate, type Summary, summarize } from './stats.ts'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    requests: { type: 'string' },
    'slice-ms': { type: 'string' },
    connections: { type: 'string', default: '32' },
    shape: { type: 'string', default: 'one-process' },
    profile: { type: 'string' },
    'upstream-model': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`pnpm bench:router [options]
  --quick            3 rounds of smaller slices (about 20 s) instead of 8 (about 60 s)
  --rounds N         rounds; each runs every mode on every path, the paths in rotated order
  --requests N       calls per path per sequential slice (default 150, quick 60)
  --slice-ms N       length of a concurrent slice per path, ms (default 1000, quick 400)
  --connections N    concurrent connections (default 32)
  --shape S          one-process (default: memory state, in-process bus) or single
                     (--target=llm-router on REDIS_URL and KAFKA_BROKERS; publishes a usage event
                     per call to that Kafka)
  --profile DIR      write a CPU profile of the router process to DIR (node --cpu-prof)
  --upstream-model M the deployment's model, named unlike the alias (default: as the alias, so
                     answers pass through untouched): every call's model is rewritten both ways
`)
  process.exit(0)
}
const int = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`bench:router: ${value} is not a positive integer\n`)
    process.exit(2)
  }
  return n
}
const options = {
  rounds: int(flags.rounds, flags.quick ? 3 : 8),
  requests: int(flags.requests, flags.quick ? 60 : 150),
  sliceMs: int(flags['slice-ms'], flags.quick ? 400 : 1000),
  connections: int(flags.connections, 32),
  shape: flags.shape === 'single' ? 'single' : 'one-process',
}

type PathName = 'direct' | 'floor' | 'router'
const paths: PathName[] = ['direct', 'floor', 'router']
type Mode = 'sequential' | 'sequential-stream' | 'concurrent' | 'concurrent-stream'
const modes: Mode[] = ['sequential', 'sequential-stream', 'concurrent', 'concurrent-stream']
const byPath = <T>(make: (path: PathName) => T) =>
  Object.fromEntries(paths.map((path) => [path, make(path)])) as Record<PathName, T>
const byMode = <T>(make: (mode: Mode) => T) =>
  Object.fromEntries(modes.map((mode) => [mode, make(mode)])) as Record<Mode, T>

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()

// The caller: a key of an org, as the gateway would forward it. One token for the whole run: a
// service passing its caller's token on looks like this (the kit caches verified tokens).
const identity = { orgId: 'org_bench', userId: 'user_bench', keyId: 'key_bench', scopes: ['llm:use'] }
/** The router's /metrics answers only with this token (SWITCHYARD_METRICS_TOKEN). */
const metricsToken = 'bench-router-metrics-token'
const keys = generateInternalKeyPair()
const token = await createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 3_600 }).sign(
  identity,
)

const dataDir = await mkdtemp(join(tmpdir(), 'bench-router-'))
const children: Child[] = []
const closeAll = async () => {
  await Promise.allSettled(children.map((child) => child.close()))
  await rm(dataDir, { recursive: true, force: true })
}

try {
  const upstream = await startChild('upstream', './upstream-process.ts')
  children.push(upstream)
  // By default the model is named as the alias: the router passes the answer's bytes through
  // untouched. --upstream-model makes it rewrite `model` in every call and answer.
  const upstreamModel = flags['upstream-model'] ?? 'bench'
  const catalog = {
    models: {
      bench: {
        pricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
        deployments: [
          { id: 'fake-1', provider: 'openai', baseUrl: `${upstream.url}/v1`, model: upstreamModel },
        ],
      },
    },
  }
  // Every scope limited and budgeted, far above what the run can use: every request is counted
  // and reserved, none refused.
  const limits = {
    limits: {
      defaults: {
        org: { rpm: 100_000_000, tpm: 1_000_000_000_000 },
        user: { rpm: 100_000_000, tpm: 1_000_000_000_000 },
        key: { rpm: 100_000_000, tpm: 1_000_000_000_000 },
      },
    },
    budgets: {
      defaults: {
        org: { amountUsd: 1_000_000, period: 'month' },
        user: { amountUsd: 1_000_000, period: 'month' },
      },
    },
  }
  const env: Record<string, string> = {
    SWITCHYARD_HOST: '127.0.0.1',
    SWITCHYARD_PORT: '0',
    SWITCHYARD_DATA_DIR: join(dataDir, 'data'),
    SWITCHYARD_LOG_LEVEL: 'warn',
    INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
    INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
    LLM_ROUTER_MODELS: JSON.stringify(catalog),
    LLM_ROUTER_LIMITS: JSON.stringify(limits),
    LLM_ROUTER_METRICS_ORGS: identity.orgId,
    SWITCHYARD_METRICS_TOKEN: metricsToken,
  }
  if (options.shape === 'single') {
    env.REDIS_URL = process.env.REDIS_URL ?? process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
    env.KAFKA_BROKERS =
      process.env.KAFKA_BROKERS ?? process.env.SWITCHYARD_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092'
  }
  const profile = flags.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`]
  const [floor, router] = await Promise.all([
    startChild('proxy', './proxy-process.ts', [upstream.url]),
    startChild('router', './router-process.ts', [options.shape, JSON.stringify(env)], profile),
  ])
  children.push(floor, router)
  log(
    `bench:router  shape=${options.shape}  upstream=${upstream.url} floor=${floor.url} router=${router.url}`,
  )

  const origins: Record<PathName, string> = { direct: upstream.url, floor: floor.url, router: router.url }
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` }
  const messages = [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello to the benchmark' },
  ]
  const bodies = {
    plain: JSON.stringify({ model: 'bench', messages, max_tokens: 64 }),
    stream: JSON.stringify({ model: 'bench', messages, max_tokens: 64, stream: true }),
  }
  // One keep-alive connection per path for the sequential calls, a pool for the concurrent ones.
  const clients = byPath((p) => new Client(origins[p], { pipelining: 1, keepAliveTimeout: 60_000 }))
  const pools = byPath(
    (p) =>
      new Pool(origins[p], { connections: options.connections, pipelining: 1, keepAliveTimeout: 60_000 }),
  )

  interface Cell {
    samples: Samples
    throughput: Throughput
  }
  const fresh = () =>
    byMode(() =>
      byPath(
        (): Cell => ({ samples: { totalMs: [], ttftMs: [] }, throughput: { completed: 0, elapsedMs: 0 } }),
      ),
    )

  const runRound = async (
    round: number,
    into: Record<Mode, Record<PathName, Cell>>,
    requests: number,
    sliceMs: number,
  ) => {
    for (const mode of modes) {
      const stream = mode.endsWith('stream')
      const body = stream ? bodies.stream : bodies.plain
      for (const path of rotate(paths, round)) {
        const cell = into[mode][path]
        if (mode.startsWith('sequential')) {
          await sequential(clients[path], headers, body, stream, requests, cell.samples)
        } else {
          const t = await concurrent(
            pools[path],
            headers,
            body,
            stream,
            options.connections,
            sliceMs,
            cell.samples,
          )
          cell.throughput.completed += t.completed
          cell.throughput.elapsedMs += t.elapsedMs
        }
      }
    }
  }

  // Warm-up: every path and mode once, JIT and connection pools included; not counted.
  const warmUp = fresh()
  await runRound(0, warmUp, 100, 300)
  const cpuAt = async () => Promise.all([upstream, floor, router].map((child) => child.cpuMicros()))
  const cpuBefore = await cpuAt()
  const results = fresh()
  for (let round = 0; round < options.rounds; round++) {
    await runRound(round, results, options.requests, options.sliceMs)
    log(
      `  round ${round + 1}/${options.rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    )
  }
  const cpuAfter = await cpuAt()
  // Accounting was on: the router's own llm_requests_total counted every call it answered.
  const counted = await routerRequestsCounted(router.url)
  await Promise.all(paths.flatMap((p) => [clients[p].close(), pools[p].close()]))
  const callsIn = (r: typeof results, path: PathName) =>
    modes.reduce((n, m) => n + r[m][path].samples.totalMs.length, 0)
  const calls = (path: PathName) => callsIn(results, path)
  const [upstreamCpu = 0, floorCpu = 0, routerCpu = 0] = cpuAfter.map(
    (after, i) => after - (cpuBefore[i] ?? 0),
  )
  const cpuPerCall = {
    upstream: upstreamCpu / paths.reduce((n, p) => n + calls(p), 0),
    floor: floorCpu / calls('floor'),
    router: routerCpu / calls('router'),
  }

  // The report.
  const summaries = byMode((mode) =>
    byPath((path): { total: Summary; ttft: Summary; rps: number } => {
      const { samples, throughput } = results[mode][path]
      return {
        total: summarize(samples.totalMs),
        ttft: summarize(samples.ttftMs),
        rps: throughput.elapsedMs > 0 ? (throughput.completed * 1000) / throughput.elapsedMs : Number.NaN,
      }
    }),
  )
  const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(3))
  const out: string[] = []
  out.push(
    `rounds=${options.rounds} requests/slice=${options.requests} slice=${options.sliceMs}ms connections=${options.connections} shape=${options.shape}${upstreamModel === 'bench' ? '' : ` upstream-model=${upstreamModel}`}`,
    '',
    'mode               path    calls   p50 ms   p90 ms   p99 ms  ttft p50  ttft p99    req/s',
  )
  for (const mode of modes) {
    for (const path of paths) {
      const s = summaries[mode][path]
      out.push(
        [
          mode.padEnd(18),
          path.padEnd(6),
          String(s.total.count).padStart(6),
          ms(s.total.p50).padStart(8),
          ms(s.total.p90).padStart(8),
          ms(s.total.p99).padStart(8),
          ms(s.ttft.p50).padStart(9),
          ms(s.ttft.p99).padStart(9),
          (Number.isNaN(s.rps) ? '-' : s.rps.toFixed(0)).padStart(8),
        ].join(' '),
      )
    }
  }
  const seq = summaries.sequential
  const ttft = summaries['sequential-stream']
  const conc = summaries.concurrent
  const concStream = summaries['concurrent-stream']
  const line = {
    added_p50_ms: seq.router.total.p50 - seq.direct.total.p50,
    added_p99_ms: seq.router.total.p99 - seq.direct.total.p99,
    floor_p50_ms: seq.floor.total.p50 - seq.direct.total.p50,
    floor_p99_ms: seq.floor.total.p99 - seq.direct.total.p99,
    ttft_added_ms: ttft.router.ttft.p50 - ttft.direct.ttft.p50,
    floor_ttft_ms: ttft.floor.ttft.p50 - ttft.direct.ttft.p50,
    throughput_ratio: conc.router.rps / conc.direct.rps,
    floor_throughput_ratio: conc.floor.rps / conc.direct.rps,
  }
  const checks: [string, boolean][] = [
    ['p50 within 0.2 ms of the floor', line.added_p50_ms - line.floor_p50_ms <= 0.2],
    ['p99 within 0.5 ms of the floor', line.added_p99_ms - line.floor_p99_ms <= 0.5],
    ['ttft within 0.3 ms of the floor', line.ttft_added_ms - line.floor_ttft_ms <= 0.3],
    ['throughput at least 0.8 of the floor', line.throughput_ratio >= 0.8 * line.floor_throughput_ratio],
  ]
  out.push(
    '',
    `router metrics: llm_requests_total=${counted} for ${callsIn(warmUp, 'router') + calls('router')} calls`,
    `CPU per call, µs: upstream ${cpuPerCall.upstream.toFixed(0)}, floor proxy ${cpuPerCall.floor.toFixed(0)}, router ${cpuPerCall.router.toFixed(0)}`,
    `streaming at ${options.connections} connections: router/direct ${(concStream.router.rps / concStream.direct.rps).toFixed(3)}, floor/direct ${(concStream.floor.rps / concStream.direct.rps).toFixed(3)}`,
    ...checks.map(([what, ok]) => `${ok ? 'met   ' : 'MISSED'} ${what}`),
    `took ${((performance.now() - started) / 1000).toFixed(0)} s`,
    '',
    `router-overhead ${Object.entries(line)
      .map(([key, value]) => `${key}=${value.toFixed(3)}`)
      .join(' ')}`,
  )
  process.stdout.write(`${out.join('\n')}\n`)
} finally {
  await closeAll()
}

/** The sum of the router's llm_requests_total, from its own /metrics. */
async function routerRequestsCounted(origin: string): Promise<number> {
  const headers = { authorization: `Bearer ${metricsToken}` }
  const text = await (await fetch(`${origin}/metrics`, { headers })).text()
  let sum = 0
  for (const line of text.split('\n'))
    if (line.startsWith('llm_requests_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  return sum
}
