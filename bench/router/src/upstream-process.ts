// The upstream: the fake OpenAI server. `bench` is its instant path (no timers, one write per
// answer); argv[2], when given, is JSON of more models and their behaviour (e.g. a time to first
// token and a token rate), for benches that stream like a real model.
import { type FakeBehavior, startFakeOpenAI } from '@switchyard/testing'
import { serveChild } from './child.ts'

const behaviors = JSON.parse(process.argv[2] ?? '{}') as Record<string, FakeBehavior>

await serveChild(async () => {
  const upstream = await startFakeOpenAI({ models: ['bench', ...Object.keys(behaviors)], record: false })
  for (const [model, behavior] of Object.entries(behaviors)) upstream.setBehavior(behavior, model)
  return { url: new URL(upstream.url).origin, close: () => upstream.close() }
})
