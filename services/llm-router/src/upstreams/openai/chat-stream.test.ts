import { describe, expect, test } from 'vitest'
import { bytesRewriter } from '../../fast-path/rewrite-model.ts'
import { UpstreamError } from '../provider.ts'
import { PassThroughChatStream } from './chat-stream.ts'

const chunk = (content: string, extra = '') =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"up","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}],"usage":null${extra}}\n\n`
const usage = { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }
const usageEvent = `data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"up","choices":[],"usage":${JSON.stringify(usage)}}\n\n`

async function collect(parts: string[], rewrite: ((b: Buffer) => Buffer) | null = null) {
  async function* body() {
    for (const part of parts) yield Buffer.from(part)
  }
  const stream = new PassThroughChatStream(body(), new AbortController().signal, rewrite)
  const out: string[] = []
  let error: unknown
  try {
    for await (const part of stream) out.push(Buffer.from(part).toString())
  } catch (e) {
    error = e
  }
  return { stream, out, error }
}

describe('SSE pass-through', () => {
  test('events split anywhere across reads come out whole, in order, without [DONE] or the usage chunk', async () => {
    const wire = `${chunk('Hel') + chunk('lo ') + chunk('wörld') + usageEvent}data: [DONE]\n\n`
    const bytes = Buffer.from(wire)
    // Every split point, including inside a multi-byte character.
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const parts = [bytes.subarray(0, cut).toString('latin1'), bytes.subarray(cut).toString('latin1')]
      async function* body() {
        for (const part of parts) yield Buffer.from(part, 'latin1')
      }
      const stream = new PassThroughChatStream(body(), new AbortController().signal, null)
      const out: Buffer[] = []
      for await (const part of stream) out.push(Buffer.from(part))
      expect(Buffer.concat(out).toString()).toBe(chunk('Hel') + chunk('lo ') + chunk('wörld'))
      for (const part of out) expect(part.toString().endsWith('\n\n')).toBe(true)
      expect(stream.usage()).toEqual(usage)
      expect(stream.completionText()).toBe('Hello wörld')
    }
  })

  test('the model name is rewritten to the alias; id and created come from the chunks', async () => {
    const { out, stream } = await collect(
      [`${chunk('a') + chunk('b')}data: [DONE]\n\n`],
      bytesRewriter('up', 'alias'),
    )
    expect(out.join('')).toBe((chunk('a') + chunk('b')).replaceAll('"model":"up"', '"model":"alias"'))
    expect(stream.id()).toBe('c1')
    expect(stream.created()).toBe(7)
    expect(stream.usage()).toBeNull()
  })

  test('a stream that ends without [DONE] fails; an in-band error event fails with its message', async () => {
    const cut = await collect([chunk('a')])
    expect(cut.out).toEqual([chunk('a')])
    expect(cut.error).toBeInstanceOf(UpstreamError)
    expect((cut.error as UpstreamError).kind).toBe('protocol')
    const errored = await collect([
      chunk('a'),
      'data: {"error": {"message": "CUDA out of memory", "code": 500}}\n\n',
    ])
    expect((errored.error as UpstreamError).message).toBe('CUDA out of memory')
  })

  test('comments are dropped and CRLF framing is understood', async () => {
    const crlf = `${chunk('x')}: keep-alive\n\n${chunk('y')}data: [DONE]\n\n`.replaceAll('\n', '\r\n')
    const { out, error } = await collect([crlf])
    expect(error).toBeUndefined()
    expect(out.join('')).toBe(chunk('x') + chunk('y'))
  })
})
