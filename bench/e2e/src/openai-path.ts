// The public OpenAI path (client -> gateway -> router -> upstream, an API key, both rate limits on)
// against the same call made straight to the upstream and through a bare Node proxy, as goal 3 of
// issue 14 measures it: sequential calls for the added latency, many connections for throughput.
import { concurrent, type Samples, sequential } from '@switchyard/bench-router/load'
import { rotate } from '@switchyard/bench-router/stats'
import { Pool } from 'undici'

export interface OpenAiPathOptions {
  upstreamUrl: string
  proxyUrl: string
  platformUrl: string
  apiKey: string
  /** The upstream's instant model, also the router's alias for it. */
  model: string
  rounds: number
  requests: number
  connections: number
  sliceMs: number
  log: (line: string) => void
}

const paths = ['direct', 'proxy', 'switchyard'] as const
export type OpenAiPath = (typeof paths)[number]

export interface OpenAiPathSamples {
  latencyMs: number[]
  completed: number
  elapsedMs: number
}

export async function runOpenAiPath(o: OpenAiPathOptions): Promise<Record<OpenAiPath, OpenAiPathSamples>> {
  const body = JSON.stringify({
    model: o.model,
    messages: [{ role: 'user', content: 'How far is the moon from here?' }],
    max_tokens: 16,
  })
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' }
  const origin: Record<OpenAiPath, string> = {
    direct: o.upstreamUrl,
    proxy: o.proxyUrl,
    switchyard: o.platformUrl,
  }
  const pools = Object.fromEntries(
    paths.map((path) => [path, new Pool(origin[path], { connections: o.connections })]),
  ) as Record<OpenAiPath, Pool>
  const samples = Object.fromEntries(
    paths.map((path) => [path, { latencyMs: [], completed: 0, elapsedMs: 0 }]),
  ) as unknown as Record<OpenAiPath, OpenAiPathSamples>
  try {
    const scratch: Samples = { totalMs: [], ttftMs: [] }
    for (const path of paths)
      await concurrent(pools[path], headers, body, false, o.connections, o.sliceMs, scratch)
    for (let round = 0; round < o.rounds; round++) {
      for (const path of rotate(paths, round)) {
        const latency: Samples = { totalMs: [], ttftMs: [] }
        await sequential(pools[path], headers, body, false, o.requests, latency)
        samples[path].latencyMs.push(...latency.totalMs)
      }
      for (const path of rotate(paths, round)) {
        const run = await concurrent(pools[path], headers, body, false, o.connections, o.sliceMs, scratch)
        samples[path].completed += run.completed
        samples[path].elapsedMs += run.elapsedMs
      }
      o.log(`openai path: round ${round + 1}/${o.rounds}`)
    }
    return samples
  } finally {
    await Promise.all(paths.map((path) => pools[path].close()))
  }
}
