// What the fake "model" answers, independent of the wire format: text or tool calls, and the
// token counts both APIs report.
import type { FakeBehavior } from './behavior.ts'
import {
  countTokens,
  defaultReply,
  type FakeChatInput,
  fitTokens,
  jsonReply,
  sampleFromSchema,
  splitTokens,
} from './text.ts'

/** A tool the request offers. */
export interface ToolSpec {
  name: string
  parameters: unknown
}

export interface AnswerRequest {
  input: FakeChatInput
  tools: ToolSpec[]
  /** 'auto' (default), 'none', 'required', or the name of the function to call. */
  toolChoice: string
  /** JSON mode: the content must be valid JSON (an object unless a schema says otherwise). */
  json: boolean
  /** JSON schema the content must satisfy (implies json). */
  schema: unknown
  /** Completion token limit from the request (`max_tokens`, `num_predict`); cuts the reply. */
  maxTokens: number | undefined
}

export interface AnswerToolCall {
  name: string
  /** JSON text of the arguments (what OpenAI sends). */
  arguments: string
}

export interface Answer {
  content: string
  toolCalls: AnswerToolCall[]
  finishReason: 'stop' | 'length' | 'tool_calls'
  /** `countTokens(content)` plus, per tool call, `countTokens(name) + countTokens(arguments)`. */
  completionTokens: number
}

/** Normalises OpenAI/Ollama `tools` (`[{ type: 'function', function: { name, parameters } }]`). */
export function toolSpecs(raw: unknown): ToolSpec[] {
  if (!Array.isArray(raw)) return []
  const out: ToolSpec[] = []
  for (const t of raw) {
    const fn = (t as { function?: { name?: unknown; parameters?: unknown } } | null)?.function
    if (fn && typeof fn.name === 'string') out.push({ name: fn.name, parameters: fn.parameters })
  }
  return out
}

export function produceAnswer(b: FakeBehavior, req: AnswerRequest): Answer {
  const { tools, toolChoice } = req
  const named = toolChoice !== 'auto' && toolChoice !== 'none' && toolChoice !== 'required'
  const wanted = typeof b.toolCalls === 'function' ? b.toolCalls(req.input) : b.toolCalls
  const callTools =
    tools.length > 0 && toolChoice !== 'none' && (Boolean(wanted) || toolChoice === 'required' || named)
  if (callTools) {
    let toolCalls: AnswerToolCall[]
    if (Array.isArray(wanted)) {
      toolCalls = wanted.map((c) => ({
        name: c.name,
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
      }))
    } else {
      const tool = (named && tools.find((t) => t.name === toolChoice)) || (tools[0] as ToolSpec)
      const args = sampleFromSchema(tool.parameters ?? { type: 'object' }, req.input.lastUserText || 'ok')
      toolCalls = [{ name: tool.name, arguments: JSON.stringify(args) }]
    }
    let completionTokens = 0
    for (const c of toolCalls) completionTokens += countTokens(c.name) + countTokens(c.arguments)
    return { content: '', toolCalls, finishReason: 'tool_calls', completionTokens }
  }

  let content = typeof b.reply === 'function' ? b.reply(req.input) : (b.reply ?? defaultReply(req.input))
  if (b.replyTokens !== undefined) content = fitTokens(content, b.replyTokens)
  if (req.json || req.schema) content = jsonReply(content, req.schema)
  let finishReason: Answer['finishReason'] = 'stop'
  if (req.maxTokens !== undefined && countTokens(content) > req.maxTokens) {
    content = splitTokens(content).slice(0, req.maxTokens).join('')
    finishReason = 'length'
  }
  return { content, toolCalls: [], finishReason, completionTokens: countTokens(content) }
}

/** The content's token pieces grouped into `chunks` pieces (all of them when unset). */
export function contentChunks(
  content: string,
  chunks: number | undefined,
): { text: string; tokens: number }[] {
  const pieces = splitTokens(content)
  if (pieces.length === 0) return []
  const groups = chunks === undefined ? pieces.length : Math.max(1, Math.min(chunks, pieces.length))
  const out: { text: string; tokens: number }[] = []
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * pieces.length) / groups)
    const to = Math.floor(((g + 1) * pieces.length) / groups)
    out.push({ text: pieces.slice(from, to).join(''), tokens: to - from })
  }
  return out
}

/** Splits a tool call's argument JSON into fragments as OpenAI streams them (a few characters each). */
export function argumentFragments(args: string): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i += 8) out.push(args.slice(i, i + 8))
  return out
}

/** A positive integer from a request field, or undefined. */
export function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}
