// What chat's SSE stream adds to the llm-router's: the runtime with the llm-router and chat in one
// process (as chat's own tests build it: memory state, in-process bus, the embedded database),
// in front of a fake OpenAI upstream with a fixed time to first token and token rate. The same
// answer is asked for alternately straight from the router (POST /v1/chat/completions, stream) and
// through chat (POST /v1/conversations/{id}/messages, SSE), each on a fresh conversation.
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatDelta, routerDelta, timeStream } from '@switchyard/bench-router/sse'
import { type Summary, summarize } from '@switchyard/bench-router/stats'
import { chatService } from '@switchyard/chat'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { start } from '@switchyard/runtime'
import { startFakeOpenAI } from '@switchyard/testing'

export interface SseOptions {
  rounds: number
  ttftMs: number
  tokensPerSecond: number
  replyTokens: number
  log: (line: string) => void
}

export interface PathResult {
  /** Request sent to the first content delta. */
  ttft: Summary
  /** Gaps between content deltas. */
  gap: Summary
  /** Request sent to the end of the stream. */
  total: Summary
}

export interface SseResult {
  router: PathResult
  chat: PathResult
}

const MODEL = 'bench'

export async function runSse(o: SseOptions): Promise<SseResult> {
  const reply = Array.from({ length: o.replyTokens }, (_, i) => `w${i + 1}`).join(' ')
  const upstream = await startFakeOpenAI({
    models: [MODEL],
    behavior: { ttftMs: o.ttftMs, tokensPerSecond: o.tokensPerSecond, reply },
  })
  const root = await mkdtemp(join(tmpdir(), 'bench-chat-'))
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 3_600 })
  const identity = {
    orgId: 'org_bench',
    userId: 'user_bench',
    keyId: 'key_bench',
    scopes: ['chat:read', 'chat:write', 'llm:use'],
  }
  const switchyard = await start({
    listen: true,
    services: { 'llm-router': llmRouterService, chat: chatService },
    homeDir: root,
    env: {
      SWITCHYARD_HOST: '127.0.0.1',
      SWITCHYARD_PORT: '0',
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'warn',
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          [MODEL]: {
            deployments: [{ id: 'fake-1', provider: 'openai', baseUrl: upstream.url, model: MODEL }],
          },
        },
      }),
      CHAT_MODELS: JSON.stringify({ [MODEL]: { contextWindow: 8192, maxOutputTokens: 1024 } }),
      SHUTDOWN_GRACE_MS: '1s',
    },
  })
  try {
    // Each service on a socket of its own, as it listens when it runs alone.
    const urlOf = async (name: 'chat' | 'llm-router') => {
      const app = switchyard.apps[name]
      if (app === undefined) throw new Error(`the runtime did not start ${name}`)
      if (app === switchyard.app) return switchyard.url
      await app.listen({ host: '127.0.0.1', port: 0 })
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    }
    const chatUrl = await urlOf('chat')
    const routerUrl = await urlOf('llm-router')
    o.log(
      `sse: upstream ${upstream.url} (ttft ${o.ttftMs} ms, ${o.tokensPerSecond} tokens/s, ${o.replyTokens} tokens) router ${routerUrl} chat ${chatUrl}`,
    )
    const token = await signer.sign(identity)
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const question = 'Say hello to the benchmark'

    const viaRouter = async () => {
      const body = JSON.stringify({
        model: MODEL,
        stream: true,
        max_tokens: 1024,
        messages: [{ role: 'user', content: question }],
      })
      const sentAt = performance.now()
      const res = await fetch(`${routerUrl}/v1/chat/completions`, { method: 'POST', headers, body })
      return timeStream(res, sentAt, routerDelta)
    }
    const viaChat = async () => {
      const created = await fetch(`${chatUrl}/v1/conversations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: MODEL }),
      })
      if (!created.ok) throw new Error(`create conversation: HTTP ${created.status}: ${await created.text()}`)
      const { id } = (await created.json()) as { id: string }
      const body = JSON.stringify({ content: question })
      const sentAt = performance.now()
      const res = await fetch(`${chatUrl}/v1/conversations/${id}/messages`, { method: 'POST', headers, body })
      return timeStream(res, sentAt, chatDelta)
    }

    const samples = {
      router: { ttft: [] as number[], gap: [] as number[], total: [] as number[] },
      chat: { ttft: [] as number[], gap: [] as number[], total: [] as number[] },
    }
    const warmUp = 5
    for (let round = 0; round < warmUp + o.rounds; round++) {
      // Alternating, each round starting with the other path.
      const order = round % 2 === 0 ? (['router', 'chat'] as const) : (['chat', 'router'] as const)
      for (const path of order) {
        const r = path === 'router' ? await viaRouter() : await viaChat()
        if (r.deltas === 0) throw new Error(`${path}: the stream had no content delta`)
        if (round < warmUp) continue
        samples[path].ttft.push(r.ttft)
        samples[path].gap.push(...r.gaps)
        samples[path].total.push(r.total)
      }
      if (round >= warmUp && (round - warmUp + 1) % Math.max(1, Math.floor(o.rounds / 5)) === 0)
        o.log(`sse: ${round - warmUp + 1}/${o.rounds} rounds`)
    }
    const result = (s: typeof samples.router): PathResult => ({
      ttft: summarize(s.ttft),
      gap: summarize(s.gap),
      total: summarize(s.total),
    })
    return { router: result(samples.router), chat: result(samples.chat) }
  } finally {
    await switchyard.close()
    await upstream.close()
    await rm(root, { recursive: true, force: true })
  }
}
