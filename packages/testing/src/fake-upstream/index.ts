export { FAKE_BEHAVIOR_HEADER, type FakeBehavior, type FakeToolCall, fakeBehaviorHeader } from './behavior.ts'
export { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from './ollama.ts'
export { startFakeOpenAI } from './openai.ts'
export type { FakeRequestRecord } from './server.ts'
export {
  countPromptTokens,
  countTokens,
  defaultReply,
  type FakeChatInput,
  type FakeMessage,
  fakeEmbedding,
  sampleFromSchema,
  splitTokens,
} from './text.ts'
export type { FakeUpstream, FakeUpstreamOptions } from './upstream.ts'
