import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { describe, expect, expectTypeOf, test } from 'vitest'
import type { TopicPayload } from '../topic.ts'
import { type AdminConfigKind, type AdminConfigV1, topics } from './index.ts'

const at = '2025-01-31T12:00:00.000Z'

/** One valid payload per topic, and one change that must make it invalid, with the path at fault. */
const examples: {
  [K in keyof typeof topics]: { valid: TopicPayload<(typeof topics)[K]>; invalid: [string, unknown] }
} = {
  llmUsageV1: {
    valid: {
      requestId: 'req_1',
      orgId: 'org_1',
      userId: 'usr_1',
      keyId: null,
      alias: 'llama-3.1-8b',
      deployment: 'vllm-a',
      provider: 'vllm',
      inputTokens: 120,
      outputTokens: 30,
      costUsd: 0.00042,
      latencyMs: 812.5,
      ttftMs: 95,
      status: 'ok',
      errorCode: null,
      attempts: 1,
      stream: true,
      startedAt: at,
    },
    invalid: ['/attempts', 0],
  },
  adminConfigV1: {
    valid: { kind: 'key-revoked', orgId: 'org_1', version: 3, payload: { keyId: 'key_1' } },
    invalid: ['/kind', 'everything'],
  },
  chatMessagesV1: {
    valid: {
      orgId: 'org_1',
      userId: 'usr_1',
      conversationId: 'conv_1',
      messageId: 'msg_1',
      role: 'assistant',
      model: 'llama-3.1-8b',
      inputTokens: 100,
      outputTokens: 20,
      createdAt: at,
    },
    invalid: ['/createdAt', 'yesterday'],
  },
  agentRunsV1: {
    valid: {
      orgId: 'org_1',
      userId: 'usr_1',
      runId: 'run_1',
      agentId: 'agt_1',
      status: 'awaiting_approval',
      steps: 2,
      errorCode: null,
      occurredAt: at,
    },
    invalid: ['/status', 'paused'],
  },
  ragIngestV1: {
    valid: {
      orgId: 'org_1',
      vectorStoreId: 'vs_1',
      fileId: 'file-1',
      generation: 1,
      requestedBy: { userId: 'usr_1', keyId: null },
      reason: 'attached',
      requestedAt: at,
    },
    invalid: ['/generation', 0],
  },
  ragDocumentsV1: {
    valid: {
      orgId: 'org_1',
      vectorStoreId: 'vs_1',
      fileId: 'file-1',
      generation: 2,
      status: 'in_progress',
      lastError: null,
      chunksDone: 40,
      chunksTotal: 120,
      occurredAt: at,
    },
    invalid: ['/status', 'ready'],
  },
}

describe.each(Object.entries(topics))('%s', (key, topic) => {
  const example = examples[key as keyof typeof topics]
  const schema: TSchema = topic.schema

  test('accepts its valid example', () => {
    expect(Value.Errors(schema, example.valid)).toEqual([])
  })

  test('rejects a bad field, at its path', () => {
    const [path, value] = example.invalid
    const broken = { ...example.valid, [path.slice(1)]: value }
    expect(Value.Check(schema, broken)).toBe(false)
    expect(Value.Errors(schema, broken).map((e) => e.instancePath)).toContain(path)
  })

  test('requires orgId', () => {
    const { orgId: _dropped, ...withoutOrg } = example.valid as Record<string, unknown>
    expect(Value.Check(schema, withoutOrg)).toBe(false)
  })
})

test('topic names are unique, versioned and dotted', () => {
  const names = Object.values(topics).map((topic) => topic.name)
  expect(new Set(names).size).toBe(names.length)
  for (const name of names) expect(name).toMatch(/^[a-z]+(\.[a-z]+)+\.v\d+$/)
  expectTypeOf(topics.llmUsageV1.name).toEqualTypeOf<'llm.usage.v1'>()
  expectTypeOf<AdminConfigV1['kind']>().toEqualTypeOf<AdminConfigKind>()
  expectTypeOf<AdminConfigKind>().toEqualTypeOf<
    'routes' | 'prices' | 'key-revoked' | 'budget' | 'prompt-label' | 'member-changed'
  >()
})

test("agent.runs.v1 carries a finished run's usage and its parent; counts are not negative", () => {
  const finished = {
    orgId: 'org_1',
    userId: 'usr_1',
    runId: 'run_2',
    agentId: 'agt_1',
    parentRunId: 'run_1',
    status: 'succeeded',
    steps: 3,
    errorCode: null,
    usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
    occurredAt: at,
  }
  expect(Value.Errors(topics.agentRunsV1.schema, finished)).toEqual([])
  const negative = { ...finished, usage: { ...finished.usage, outputTokens: -1 } }
  expect(Value.Errors(topics.agentRunsV1.schema, negative).map((e) => e.instancePath)).toContain(
    '/usage/outputTokens',
  )
})
