// Streamed answers by many users at once: each user asks the fake upstream straight (`direct`), or
// the platform the way a chat app does (`platform`: a conversation through the gateway, then its
// messages over chat's SSE, which calls the router, which calls the same upstream). The paths take
// turns in slices, in rotated order, so the machine's noise falls on both.
import { chatDelta, routerDelta, timeStream } from '@switchyard/bench-router/sse'
import { rotate } from '@switchyard/bench-router/stats'

export interface StreamingOptions {
  upstreamUrl: string
  platformUrl: string
  apiKey: string
  /** The upstream's streaming model, also the router's alias for it. */
  model: string
  users: number
  rounds: number
  sliceMs: number
  log: (line: string) => void
}

export interface StreamingSamples {
  ttftMs: number[]
  totalMs: number[]
  answers: number
  elapsedMs: number
}

const paths = ['direct', 'platform'] as const
export type StreamingPath = (typeof paths)[number]

const question = 'Tell the benchmark a short story'

export async function runStreaming(o: StreamingOptions): Promise<Record<StreamingPath, StreamingSamples>> {
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' }
  const direct = async () => {
    const body = JSON.stringify({
      model: o.model,
      stream: true,
      messages: [{ role: 'user', content: question }],
    })
    const sentAt = performance.now()
    const res = await fetch(`${o.upstreamUrl}/v1/chat/completions`, { method: 'POST', headers, body })
    return timeStream(res, sentAt, routerDelta)
  }
  /** A user of the platform: one conversation a slice, its turns one after the other. */
  const platformUser = async () => {
    const created = await fetch(`${o.platformUrl}/v1/conversations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: o.model }),
    })
    if (created.status !== 201)
      throw new Error(`create conversation: HTTP ${created.status}: ${await created.text()}`)
    const { id } = (await created.json()) as { id: string }
    return async () => {
      const sentAt = performance.now()
      const res = await fetch(`${o.platformUrl}/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ content: question }),
      })
      return timeStream(res, sentAt, chatDelta)
    }
  }

  const samples = Object.fromEntries(
    paths.map((path) => [path, { ttftMs: [], totalMs: [], answers: 0, elapsedMs: 0 }]),
  ) as unknown as Record<StreamingPath, StreamingSamples>
  const slice = async (path: StreamingPath, into: StreamingSamples | null) => {
    const askers = await Promise.all(
      Array.from({ length: o.users }, () => (path === 'direct' ? direct : platformUser())),
    )
    const started = performance.now()
    const deadline = started + o.sliceMs
    await Promise.all(
      askers.map(async (ask) => {
        while (performance.now() < deadline) {
          const answer = await ask()
          if (answer.deltas === 0) throw new Error(`${path}: an answer streamed no content`)
          if (into === null) continue
          into.ttftMs.push(answer.ttft)
          into.totalMs.push(answer.total)
          into.answers++
        }
      }),
    )
    if (into !== null) into.elapsedMs += performance.now() - started
  }
  // Warm both paths (JIT, connections, the gateway's key cache) before anything counts.
  for (const path of paths) await slice(path, null)
  for (let round = 0; round < o.rounds; round++) {
    for (const path of rotate(paths, round)) await slice(path, samples[path])
    o.log(`streaming: round ${round + 1}/${o.rounds}`)
  }
  return samples
}
