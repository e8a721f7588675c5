import { adminConfigV1 } from './admin-config.ts'
import { agentRunsV1 } from './agent-runs.ts'
import { chatMessagesV1 } from './chat-messages.ts'
import { llmUsageV1 } from './llm-usage.ts'
import { ragDocumentsV1 } from './rag-documents.ts'
import { ragIngestV1 } from './rag-ingest.ts'

export * from './admin-config.ts'
export * from './agent-runs.ts'
export * from './chat-messages.ts'
export * from './llm-usage.ts'
export * from './rag-documents.ts'
export * from './rag-ingest.ts'

/** Every topic on the bus. A payload change is a new version: add `xxxV2` beside `xxxV1`, never edit V1. */
export const topics = {
  llmUsageV1,
  adminConfigV1,
  chatMessagesV1,
  agentRunsV1,
  ragIngestV1,
  ragDocumentsV1,
} as const
export type Topics = typeof topics
export type TopicName = Topics[keyof Topics]['name']
