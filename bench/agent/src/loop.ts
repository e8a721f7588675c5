// The agent loop's own cost per model turn: runs of an agent against the same model requests sent
// straight to the router, in one process (the one-process shape: PGlite, in-memory state, the
// in-process bus and transport) with the fake OpenAI upstream answering at once. A run has two
// turns: the agent's tool_choice forces a call to `add` (the fake writes it from the schema), the
// tool runs, and the turn after the result answers. The direct side sends those two requests with
// the `openai` client over the same in-process transport. Both alternate, so load drifts on a
// shared machine hit both alike; what the loop adds is the difference of the medians, per turn.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agentService, createAgentPlugin } from '@switchyard/agent'
import { testTools } from '@switchyard/agent/testing'
import { createLlmRouterClient, type Identity } from '@switchyard/contracts'
import {
  createInternalTokenSigner,
  defineService,
  generateInternalKeyPair,
  type KitServer,
} from '@switchyard/kit'
import { llmRouterService } from '@switchyard/llm-router'
import { InProcessDispatcher, start } from '@switchyard/runtime'
import { standIn, startFakeOpenAI } from '@switchyard/testing'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'

export interface LoopCostOptions {
  /** Measured runs (and as many direct pairs), after `warmup` of each. */
  runs: number
  warmup: number
  log(line: string): void
}

export interface LoopCostResult {
  runs: number
  turnsPerRun: number
  /** Median wall time of one run, request to answer, milliseconds. */
  runP50Ms: number
  /** Median wall time of the same model requests sent straight to the router, milliseconds. */
  directP50Ms: number
  /** (runP50Ms - directP50Ms) / turnsPerRun. */
  addedMsPerTurn: number
}

const turnsPerRun = 2
const instructions = 'You add numbers with the add tool.'
const input = 'What is 2 plus 3?'

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export async function measureLoopCost(o: LoopCostOptions): Promise<LoopCostResult> {
  const upstream = await startFakeOpenAI({ models: ['fake-chat'], behavior: { reply: 'It is 5.' } })
  const root = await mkdtemp(join(tmpdir(), 'bench-agent-loop-'))
  const keys = generateInternalKeyPair()
  const signer = createInternalTokenSigner({ privateKey: keys.privateKey, ttlSeconds: 3_600 })
  const tools = testTools()
  const agent = defineService({ ...agentService, plugin: createAgentPlugin({ tools: tools.source }) })
  const switchyard = await start({
    listen: false,
    // Agent calls rag and admin too (tools, prompt references): stand-ins, never called here.
    services: {
      'llm-router': llmRouterService,
      agent,
      rag: standIn('rag').service,
      admin: standIn('admin').service,
    },
    homeDir: root,
    env: {
      SWITCHYARD_DATA_DIR: join(root, 'data'),
      SWITCHYARD_LOG_LEVEL: 'warn',
      INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.privateKey,
      LLM_ROUTER_MODELS: JSON.stringify({
        models: {
          'fake-chat': {
            deployments: [
              { id: 'fake-chat-1', provider: 'openai', baseUrl: upstream.url, model: 'fake-chat' },
            ],
          },
        },
      }),
      SHUTDOWN_GRACE_MS: '1s',
    },
  })
  try {
    const apps = switchyard.apps as Record<'agent' | 'llm-router', KitServer>
    const identity: Identity = {
      orgId: 'org_bench',
      userId: 'user_bench',
      keyId: 'key_bench',
      scopes: ['chat:read', 'chat:write', 'llm:use'],
    }
    const headers = { authorization: `Bearer ${await signer.sign(identity)}` }
    const created = await apps.agent.inject({
      method: 'POST',
      url: '/v1/agents',
      headers,
      payload: { name: 'adder', instructions, model: 'fake-chat', tools: ['add'], tool_choice: 'add' },
    })
    if (created.statusCode !== 200) throw new Error(`creating the agent: ${created.body}`)
    const agentId = created.json<{ id: string }>().id

    const run = async () => {
      const res = await apps.agent.inject({
        method: 'POST',
        url: `/v1/agents/${agentId}/runs`,
        headers,
        payload: { input },
      })
      const body = res.json<{ status: string; turns: number }>()
      if (body.status !== 'succeeded' || body.turns !== turnsPerRun)
        throw new Error(`a run ended ${body.status} after ${body.turns} turns: ${res.body}`)
    }

    // The router as the agent reaches it in one process: app.inject behind an undici dispatcher.
    const router = createLlmRouterClient({
      dispatcher: new InProcessDispatcher(() => apps['llm-router']),
      origin: 'http://llm-router.internal',
    })
    const openai = new OpenAI({
      apiKey: await signer.sign({ ...identity, scopes: ['llm:use'] }),
      baseURL: router.baseURL,
      fetch: router.fetch,
      maxRetries: 0,
    })
    const [add] = await tools.source.tools()
    const toolDefs: ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'add', description: add?.description, parameters: add?.parameters },
      },
    ]
    const turn = async (messages: ChatCompletionMessageParam[], forced: boolean) => {
      const stream = await openai.chat.completions.create({
        model: 'fake-chat',
        messages,
        stream: true,
        stream_options: { include_usage: true },
        tools: toolDefs,
        ...(forced && { tool_choice: { type: 'function', function: { name: 'add' } } }),
      })
      const calls: { id: string; name: string; arguments: string }[] = []
      for await (const chunk of stream)
        for (const part of chunk.choices[0]?.delta.tool_calls ?? []) {
          const call = calls[part.index] ?? { id: '', name: '', arguments: '' }
          calls[part.index] = call
          call.id ||= part.id ?? ''
          call.name += part.function?.name ?? ''
          call.arguments += part.function?.arguments ?? ''
        }
      return calls
    }
    const direct = async () => {
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: instructions },
        { role: 'user', content: input },
      ]
      const [call] = await turn(messages, true)
      if (call === undefined) throw new Error('the fake made no tool call')
      messages.push(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
          ],
        },
        { role: 'tool', tool_call_id: call.id, content: '5' },
      )
      await turn(messages, false)
    }

    const timed = async (f: () => Promise<void>) => {
      const t0 = performance.now()
      await f()
      return performance.now() - t0
    }
    for (let i = 0; i < o.warmup; i++) {
      await run()
      await direct()
    }
    const runMs: number[] = []
    const directMs: number[] = []
    for (let i = 0; i < o.runs; i++) {
      // Alternating which goes first, so neither always follows the other's garbage.
      if (i % 2 === 0) {
        runMs.push(await timed(run))
        directMs.push(await timed(direct))
      } else {
        directMs.push(await timed(direct))
        runMs.push(await timed(run))
      }
    }
    const runP50Ms = median(runMs)
    const directP50Ms = median(directMs)
    o.log(
      `loop: ${o.runs} runs of ${turnsPerRun} turns (after ${o.warmup} warm-up), run p50 ${runP50Ms.toFixed(2)} ms, the same requests straight to the router p50 ${directP50Ms.toFixed(2)} ms`,
    )
    return {
      runs: o.runs,
      turnsPerRun,
      runP50Ms,
      directP50Ms,
      addedMsPerTurn: (runP50Ms - directP50Ms) / turnsPerRun,
    }
  } finally {
    await switchyard.close()
    await upstream.close()
    await rm(root, { recursive: true, force: true })
  }
}
