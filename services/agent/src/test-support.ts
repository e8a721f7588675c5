import type { ServerResponse } from 'node:http'
import type { Identity } from '@switchyard/contracts'
import { defineService, type SqlPool } from '@switchyard/kit'
import {
  type AnsweringStandIn,
  answeringStandIn,
  buildTestApp,
  type StandIn,
  standIn,
  type TestApp,
} from '@switchyard/testing'
import type { LightMyRequestResponse } from 'fastify'
import { type AgentPluginOptions, createAgentPlugin } from './plugin.ts'
import { agentService } from './service.ts'
import type { Tool } from './tools/tool.ts'

/** One scripted model turn: text, or tool calls (arguments as JSON text, sent as the model would). */
export interface ScriptedTurn {
  content?: string
  toolCalls?: { name: string; arguments: string }[]
  /** Never answer (until the caller goes away). */
  hang?: boolean
}

/**
 * Answers the router's chat completions from a script, one turn per request, as an OpenAI
 * stream (content in two chunks, tool calls as deltas, then usage). Past the script's end, the
 * last turn repeats. Usage is computed: prompt tokens = messages sent, completion = 5 per turn.
 */
export function scriptRouter(router: AnsweringStandIn, turns: ScriptedTurn[]): { calls: () => number } {
  let n = 0
  router.answer(async (request, res: ServerResponse) => {
    const turn = turns[Math.min(n, turns.length - 1)] as ScriptedTurn
    n++
    if (turn.hang) {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      await new Promise((resolve) => res.once('close', resolve))
      return
    }
    const body = JSON.parse(request.body) as { messages: unknown[]; model: string }
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    if (turn.toolCalls) {
      for (const [index, call] of turn.toolCalls.entries()) {
        res.write(
          chunk(
            {
              tool_calls: [
                {
                  index,
                  id: `call_${n}_${index}`,
                  type: 'function',
                  function: { name: call.name, arguments: call.arguments },
                },
              ],
            },
            null,
          ),
        )
      }
      res.write(chunk({}, 'tool_calls'))
    } else {
      const text = turn.content ?? ''
      const half = Math.ceil(text.length / 2)
      res.write(chunk({ role: 'assistant', content: text.slice(0, half) }, null))
      res.write(chunk({ content: text.slice(half) }, null))
      res.write(chunk({}, 'stop'))
    }
    res.write(
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage: { prompt_tokens: body.messages.length, completion_tokens: 5, total_tokens: body.messages.length + 5 } })}\n\n`,
    )
    res.end('data: [DONE]\n\n')
  })
  return { calls: () => n }
}

/** The SSE frames of a body: event name and parsed data, with their ids. */
export const sseFrames = (body: string) =>
  body
    .split('\n\n')
    .filter((f) => f.includes('event: '))
    .map((f) => ({
      id: /^id: (.*)$/m.exec(f)?.[1],
      event: /^event: (.*)$/m.exec(f)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(f)?.[1] ?? 'null'),
    }))

/** Tools for tests: `add` (two numbers) and `delete_everything` (needs approval), recording calls. */
export function testTools() {
  const calls: { name: string; args: unknown; identity: Identity; token: string }[] = []
  const tools: Tool[] = [
    {
      name: 'add',
      description: 'Adds two numbers',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
        additionalProperties: false,
      },
      async call(args, ctx) {
        const { a, b } = args as { a: number; b: number }
        calls.push({ name: 'add', args, identity: ctx.identity, token: ctx.token })
        return String(a + b)
      },
    },
    {
      name: 'delete_everything',
      description: 'Deletes everything (a human must approve)',
      parameters: { type: 'object', properties: { what: { type: 'string' } }, required: ['what'] },
      needsApproval: true,
      async call(args, ctx) {
        calls.push({ name: 'delete_everything', args, identity: ctx.identity, token: ctx.token })
        return { deleted: (args as { what: string }).what }
      },
    },
  ]
  return { calls, source: { tools: async () => tools } }
}

export interface AgentUnderTest {
  app: TestApp
  router: AnsweringStandIn
  /** Shares the process's database, to look behind the API. */
  peer: StandIn
  request(identity: Identity, method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>
  /** The process's SQL pool (the peer's), for looking behind the API. */
  sql(): SqlPool
  close(): Promise<void>
}

/** Agent in the one-process shape with a scripted router, stand-ins for rag and admin. */
export async function startAgent(
  options: AgentPluginOptions = {},
  env: Record<string, string> = {},
  now?: () => number,
): Promise<AgentUnderTest> {
  const router = answeringStandIn('llm-router')
  const peer = standIn('admin', { needs: ['sql', 'bus'] })
  const service = defineService({ ...agentService, plugin: createAgentPlugin(options) })
  const app = await buildTestApp({
    services: {
      agent: service,
      'llm-router': router.service,
      rag: standIn('rag').service,
      admin: peer.service,
    },
    env,
    ...(now !== undefined && { now }),
  })
  const agent = app.app('agent')
  return {
    app,
    router,
    peer,
    async request(identity, method, url, body) {
      return agent.inject({
        method: method as 'GET',
        url,
        headers: await app.headers(identity),
        ...(body !== undefined && { payload: body as object }),
      })
    },
    sql: () => peer.context().sql as SqlPool,
    close: () => app.close(),
  }
}
