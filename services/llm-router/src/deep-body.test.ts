import { startFakeOllama, startFakeOpenAI } from '@switchyard/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { errorBody, startRouter } from './router-under-test.ts'

const messages = [{ role: 'user' as const, content: 'count the stars tonight' }]

/** JSON text of `levels` arrays nested in one another: `[[[...]]]`. */
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`

/**
 * A chat body whose own nesting is `depth` levels (the body is level 1), all of it under `field`:
 * tools[0].function.parameters (levels 5 and below) or response_format.json_schema.schema (level 4 on).
 */
function deepBody(field: 'tools' | 'response_format', depth: number, extra: object = {}): string {
  const head = JSON.stringify({ model: 'chat', messages, ...extra }).slice(0, -1)
  if (field === 'tools') {
    // body(1) > tools(2) > tool(3) > function(4) > parameters(5) > x(6...)
    return `${head},"tools":[{"type":"function","function":{"name":"f","parameters":{"x":${nestedArrays(depth - 5)}}}}]}`
  }
  // body(1) > response_format(2) > json_schema(3) > schema(4) > x(5...)
  return `${head},"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"x":${nestedArrays(depth - 4)}}}}}`
}

async function post(router: { url: string; headers: Record<string, string> }, body: string) {
  return fetch(`${router.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...router.headers, 'content-type': 'application/json' },
    body,
  })
}

describe('nesting depth of a request body', () => {
  // Deep enough that JSON.stringify throws (the stack), small enough for the 1 MiB body limit.
  const hostile = 50_000

  test.each(['tools', 'response_format'] as const)(
    'a body nested %s-deep past the stack is the caller’s 400; no upstream is called, no deployment cools down',
    async (field) => {
      const openai = await startFakeOpenAI({ models: ['m'] })
      const ollama = await startFakeOllama({ models: ['m'] })
      onTestFinished(() => openai.close())
      onTestFinished(() => ollama.close())
      const router = await startRouter({
        models: {
          chat: {
            deployments: [
              { id: 'openai', provider: 'openai', baseUrl: openai.url, model: 'm' },
              { id: 'ollama', provider: 'ollama', baseUrl: ollama.url, model: 'm' },
            ],
          },
        },
      })
      for (const stream of [false, true]) {
        const res = await post(router, deepBody(field, hostile, { stream }))
        expect(res.status).toBe(400)
        expect((await errorBody(res)).error).toMatchObject({
          type: 'invalid_request_error',
          code: 'KIT_ERR_NESTING_TOO_DEEP',
          param: field,
        })
      }
      expect(openai.requests).toHaveLength(0)
      expect(ollama.requests).toHaveLength(0)
      expect(router.router.health.cooling('openai')).toBeUndefined()
      expect(router.router.health.cooling('ollama')).toBeUndefined()
    },
  )
})
