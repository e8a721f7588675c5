// Stage 2: an LLM picks the agent among the candidates, answering with a JSON schema (agent,
// confidence, reason). The answer is validated with ajv: a model that ignores the schema, names
// an agent that is not a candidate or returns no JSON is a failed classification, never a crash.
import { Ajv, type ValidateFunction } from 'ajv'
import { LRUCache } from 'lru-cache'
import type { CallContext, ChatMessage, CompleteJson, RoutableAgent } from './ports.ts'

export interface Classification {
  agentId: string
  /** The model's own confidence, 0..1. */
  confidence: number
  reason: string
}

export type ClassifyResult = { ok: true; answer: Classification } | { ok: false; error: string }

/** An agent the classifier may pick, with its example utterances nearest to the message. */
export interface Candidate {
  agent: RoutableAgent
  examples: readonly string[]
}

export interface ClassifyRequest {
  message: string
  candidates: readonly Candidate[]
  /** Earlier turns of the thread, oldest first (only the last few are shown to the model). */
  history?: readonly ChatMessage[]
  /** The agent the thread is with: the question becomes whether the topic changed. */
  threadAgent?: RoutableAgent
}

/** Turns of history shown to the classifier: enough for "and tomorrow?", short for a small model. */
const historyTurns = 4
/** Characters of one history turn shown to the classifier. */
const historyChars = 300

const ajv = new Ajv({ allErrors: true })
/** Compiled answer validators by candidate list: compiling costs more than a request should. */
const validators = new LRUCache<string, ValidateFunction>({ max: 256 })

function validatorFor(names: readonly string[], schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(names)
  let validate = validators.get(key)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    validators.set(key, validate)
  }
  return validate
}

/** The answer's schema; `agent` is an enum of the candidates' names, so a grammar can force one. */
export function answerSchema(names: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      agent: { type: 'string', enum: [...names] },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      // Short: a small model writes slowly, and the reason is for a log line.
      reason: { type: 'string', maxLength: 80 },
    },
    required: ['agent', 'confidence', 'reason'],
    additionalProperties: false,
  }
}

function prompt(request: ClassifyRequest): ChatMessage[] {
  // Each candidate with the examples nearest to the message: a small model matches a request
  // against similar requests far better than against a one-line description.
  const list = request.candidates
    .map(({ agent, examples }) => {
      const similar =
        examples.length === 0 ? '' : ` Requests it handles: ${examples.map((e) => `"${e}"`).join('; ')}`
      return `- ${agent.name}: ${agent.description}.${similar}`
    })
    .join('\n')
  const thread =
    request.threadAgent === undefined
      ? ''
      : `\nThe conversation is with ${request.threadAgent.name}. Keep it unless the user clearly changed the topic.`
  const system =
    `You route a user's message to the one assistant best able to handle it.\nAssistants:\n${list}${thread}\n` +
    'Answer with JSON: "agent" (one of the names above), "confidence" (0 to 1) and a short "reason".'
  const history = (request.history ?? [])
    .slice(-historyTurns)
    .map((turn) => `${turn.role}: ${turn.content.slice(0, historyChars)}`)
    .join('\n')
  const user = history === '' ? request.message : `Earlier:\n${history}\n\nNew message: ${request.message}`
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ]
}

export async function classify(
  complete: CompleteJson,
  request: ClassifyRequest,
  ctx: CallContext,
  maxTokens = 96,
): Promise<ClassifyResult> {
  const names = request.candidates.map(({ agent }) => agent.name)
  const schema = answerSchema(names)
  let text: string
  try {
    text = await complete({ messages: prompt(request), schemaName: 'route', schema, maxTokens }, ctx)
  } catch (error) {
    if (ctx.signal?.aborted) throw error
    return { ok: false, error: `classifier call failed: ${(error as Error).message}` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, error: `classifier answered no JSON: ${text.slice(0, 80)}` }
  }
  const validate = validatorFor(names, schema)
  if (!validate(value))
    return { ok: false, error: `classifier answer invalid: ${ajv.errorsText(validate.errors)}` }
  const answer = value as { agent: string; confidence: number; reason: string }
  const agent = request.candidates.find((candidate) => candidate.agent.name === answer.agent)?.agent
  if (agent === undefined) return { ok: false, error: `classifier named no candidate: ${answer.agent}` }
  return { ok: true, answer: { agentId: agent.id, confidence: answer.confidence, reason: answer.reason } }
}
