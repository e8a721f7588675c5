// The upstream: the fake OpenAI server's instant path (no timers, one write per answer).
import { startFakeOpenAI } from '@switchyard/testing'
import { serveChild } from './child.ts'

await serveChild(async () => {
  const upstream = await startFakeOpenAI({ models: ['bench'], record: false })
  return { url: new URL(upstream.url).origin, close: () => upstream.close() }
})
