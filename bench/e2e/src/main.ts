// pnpm bench:e2e: what the whole platform adds, client -> gateway -> chat -> router -> fake
// upstream, for many users streaming at once, against the same answers asked of the upstream
// directly; and the public OpenAI path (gateway -> router) against a bare Node proxy, in the same
// run. Processes: the fake upstream, the bare proxy and `switchyard start` each in its own; this
// one is the users. Last line:
//   e2e ttft_added_p50_ms=<a> ttft_added_p99_ms=<b> total_added_p50_ms=<c> throughput_ratio=<r>
//       openai_path_added_p50_ms=<d> proxy_added_p50_ms=<e> openai_path_throughput_vs_proxy=<f>
import { parseArgs } from 'node:util'
import { type Child, startChild } from '@switchyard/bench-router/processes'
import { summarize } from '@switchyard/bench-router/stats'
import { runOpenAiPath } from './openai-path.ts'
import { type Platform, startPlatform } from './platform.ts'
import { runStreaming } from './streaming.ts'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    users: { type: 'string', default: '32' },
    rounds: { type: 'string' },
    'slice-ms': { type: 'string' },
    requests: { type: 'string' },
    'ttft-ms': { type: 'string', default: '50' },
    'tokens-per-second': { type: 'string', default: '200' },
    'reply-tokens': { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`pnpm bench:e2e [options]
  --quick                 2 rounds of shorter slices instead of 5
  --users N               users streaming at once, and connections of the OpenAI path (default 32)
  --rounds N              rounds; each runs every path, in rotated order
  --slice-ms N            length of one path's turn in a round, ms (default 4000, quick 2000)
  --requests N            sequential OpenAI-path calls per path per round (default 200, quick 80)
  --ttft-ms N             the fake model's time to first token (default 50)
  --tokens-per-second N   its token rate after the first (default 200)
  --reply-tokens N        tokens per answer (default 20)
`)
  process.exit(0)
}
const int = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`bench:e2e: ${value} is not a positive integer\n`)
    process.exit(2)
  }
  return n
}
const users = int(flags.users, 32)
const rounds = int(flags.rounds, flags.quick ? 2 : 5)
const sliceMs = int(flags['slice-ms'], flags.quick ? 2_000 : 4_000)
const requests = int(flags.requests, flags.quick ? 80 : 200)
const streamModel = 'bench-stream'
const behavior = {
  ttftMs: int(flags['ttft-ms'], 50),
  tokensPerSecond: int(flags['tokens-per-second'], 200),
  replyTokens: int(flags['reply-tokens'], 20),
}
const log = (line: string) => process.stderr.write(`${line}\n`)

const children: Child[] = []
let platform: Platform | undefined
try {
  const upstream = await startChild('upstream', './upstream-process.ts', [
    JSON.stringify({ [streamModel]: behavior }),
  ])
  children.push(upstream)
  const proxy = await startChild('proxy', './proxy-process.ts', [upstream.url])
  children.push(proxy)
  const deployment = (model: string) => ({
    deployments: [{ id: `fake-${model}`, provider: 'openai', baseUrl: `${upstream.url}/v1`, model }],
  })
  platform = await startPlatform({
    LLM_ROUTER_MODELS: JSON.stringify({
      models: { bench: deployment('bench'), [streamModel]: deployment(streamModel) },
    }),
    CHAT_MODELS: JSON.stringify({ [streamModel]: { contextWindow: 8192, maxOutputTokens: 1024 } }),
    // The benchmark's users share one key (one user): chat's per-user cap fits them all.
    CHAT_MAX_CONCURRENT_GENERATIONS: String(users),
    // Both rate limits stay on, far above what the run asks.
    GATEWAY_RATE_LIMIT_PER_KEY: '1000000000',
    GATEWAY_RATE_LIMIT_PER_ORG: '1000000000',
  })
  log(
    `e2e: switchyard start at ${platform.url}, upstream ${upstream.url} (${streamModel}: ttft ${behavior.ttftMs} ms, ${behavior.tokensPerSecond} tokens/s, ${behavior.replyTokens} tokens), proxy ${proxy.url}; ${users} users, ${rounds} rounds`,
  )

  const streaming = await runStreaming({
    upstreamUrl: upstream.url,
    platformUrl: platform.url,
    apiKey: platform.apiKey,
    model: streamModel,
    users,
    rounds,
    sliceMs,
    log,
  })
  const openai = await runOpenAiPath({
    upstreamUrl: upstream.url,
    proxyUrl: proxy.url,
    platformUrl: platform.url,
    apiKey: platform.apiKey,
    model: 'bench',
    rounds,
    requests,
    connections: users,
    sliceMs: Math.max(1_000, Math.floor(sliceMs / 2)),
    log,
  })

  const ms = (value: number) => value.toFixed(3)
  const ratio = (value: number) => value.toFixed(3)
  const stream = {
    direct: { ttft: summarize(streaming.direct.ttftMs), total: summarize(streaming.direct.totalMs) },
    platform: { ttft: summarize(streaming.platform.ttftMs), total: summarize(streaming.platform.totalMs) },
  }
  const perSecond = (s: { answers?: number; completed?: number; elapsedMs: number }) =>
    ((s.answers ?? s.completed ?? 0) * 1000) / s.elapsedMs
  const latency = {
    direct: summarize(openai.direct.latencyMs),
    proxy: summarize(openai.proxy.latencyMs),
    switchyard: summarize(openai.switchyard.latencyMs),
  }
  for (const path of ['direct', 'platform'] as const)
    log(
      `streaming ${path}: answers=${streaming[path].answers} ttft p50=${ms(stream[path].ttft.p50)} p99=${ms(stream[path].ttft.p99)} total p50=${ms(stream[path].total.p50)} answers/s=${perSecond(streaming[path]).toFixed(1)}`,
    )
  for (const path of ['direct', 'proxy', 'switchyard'] as const)
    log(
      `openai path ${path}: p50=${ms(latency[path].p50)} p99=${ms(latency[path].p99)} requests/s at ${users} connections=${perSecond(openai[path]).toFixed(0)}`,
    )
  console.log(
    [
      'e2e',
      `ttft_added_p50_ms=${ms(stream.platform.ttft.p50 - stream.direct.ttft.p50)}`,
      `ttft_added_p99_ms=${ms(stream.platform.ttft.p99 - stream.direct.ttft.p99)}`,
      `total_added_p50_ms=${ms(stream.platform.total.p50 - stream.direct.total.p50)}`,
      `throughput_ratio=${ratio(perSecond(streaming.platform) / perSecond(streaming.direct))}`,
      `openai_path_added_p50_ms=${ms(latency.switchyard.p50 - latency.direct.p50)}`,
      `proxy_added_p50_ms=${ms(latency.proxy.p50 - latency.direct.p50)}`,
      `openai_path_throughput_vs_proxy=${ratio(perSecond(openai.switchyard) / perSecond(openai.proxy))}`,
    ].join(' '),
  )
} finally {
  await platform?.close()
  await Promise.allSettled(children.map((child) => child.close()))
}
