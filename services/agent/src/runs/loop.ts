import type { Identity } from '@switchyard/contracts'
import type OpenAI from 'openai'
import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions'
import pLimit from 'p-limit'
import type { Logger } from 'pino'
import { compileSchema, describeErrors } from '../json-schema.ts'
import { type Tool, ToolError } from '../tools/tool.ts'
import type { RunEventWriter } from './events.ts'
import type { RunProgress, RunsRepository } from './repository.ts'
import type { PendingCall, Run, RunError } from './run.ts'

/** Stable codes of a run's `error` event and stored error. */
export const runErrorCodes = {
  turnLimit: 'AGENT_RUN_TURN_LIMIT',
  tokenLimit: 'AGENT_RUN_TOKEN_LIMIT',
  timeLimit: 'AGENT_RUN_TIME_LIMIT',
  interrupted: 'AGENT_RUN_INTERRUPTED',
  model: 'AGENT_RUN_MODEL_ERROR',
  unknownTool: 'AGENT_RUN_UNKNOWN_TOOL',
} as const

/** Why a run's controller aborted. */
export type AbortReason = 'cancel' | 'timeout' | 'shutdown'

export interface LoopDeps {
  repo: RunsRepository
  logger: Logger
  /** An `openai` client for the llm-router, acting with `token`. */
  llm(token: string): OpenAI
  /** A worker token for the caller: every model call and tool carries their identity. */
  sign(identity: Identity): Promise<string>
  /** Tool calls of one turn that run at once. */
  concurrency: number
  now: () => number
}

export interface LoopContext {
  run: Run
  /** The run's tools, by name (only those the agent names). */
  tools: Map<string, Tool>
  events: RunEventWriter
  /** Aborts with an AbortReason: cancel, wall time, shutdown. */
  signal: AbortSignal
  /** When this stretch of running started (epoch ms), for the wall time used. */
  startedAt: number
}

/** How a stretch of the loop ended: the run's status then. */
export type LoopOutcome = RunProgress['status']

interface Turn {
  content: string
  toolCalls: ChatCompletionMessageFunctionToolCall[]
  inputTokens: number
  outputTokens: number
  finishReason: string | null
}

/**
 * The tool loop: a model turn through the router (streaming, with the agent's tools), then the
 * tool calls it asked for (arguments checked against each tool's schema first; a bad call goes
 * back to the model as the tool's error and counts as a turn), until the model answers without
 * tools, a limit ends the run, or a tool that needs approval pauses it. The state is written
 * after every step, so another replica can go on from there.
 */
export async function runLoop(ctx: LoopContext, deps: LoopDeps): Promise<LoopOutcome> {
  const { run, events } = ctx
  const limits = run.agent.limits
  const state: RunProgress = {
    status: 'running',
    messages: run.messages,
    pending: run.pending,
    turns: run.turns,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
    elapsedMs: run.elapsedMs,
    output: null,
    error: null,
  }
  let stepSeq = (await deps.repo.steps(run.orgId, run.id)).length
  const elapsed = () => run.elapsedMs + (deps.now() - ctx.startedAt)
  const save = async (): Promise<boolean> => {
    state.elapsedMs = elapsed()
    return deps.repo.save(run, state, deps.now())
  }
  const step = async (type: 'model' | 'tool', data: Record<string, unknown>) => {
    stepSeq++
    await deps.repo.addStep(run, stepSeq, type, data, deps.now())
    void events.append('step', { runId: run.id, seq: stepSeq, type, ...data })
  }
  const fail = async (error: RunError): Promise<LoopOutcome> => {
    state.status = 'failed'
    state.error = error
    return finish()
  }
  const finish = async (): Promise<LoopOutcome> => {
    if (!(await save())) return 'cancelled'
    void events.append('usage', {
      runId: run.id,
      inputTokens: state.inputTokens,
      outputTokens: state.outputTokens,
      totalTokens: state.inputTokens + state.outputTokens,
    })
    await (state.error === null
      ? events.append('done', { runId: run.id, status: state.status, output: state.output })
      : events.append('error', { runId: run.id, error: state.error }))
    return state.status
  }
  const aborted = async (): Promise<LoopOutcome> => {
    const reason = ctx.signal.reason as AbortReason
    if (reason === 'cancel') {
      state.status = 'cancelled'
      return finish()
    }
    if (reason === 'timeout') {
      return fail({
        code: runErrorCodes.timeLimit,
        type: 'limit',
        message: `The run took longer than ${limits.max_wall_time_ms} ms`,
      })
    }
    // Shutdown: the run stays `running` with its last step saved; see the runner.
    await save()
    return 'running'
  }

  // Calls decided by a human since the run paused: run (or refuse) them before the next turn.
  if (state.pending.length > 0) {
    const decided = state.pending
    state.pending = []
    await runCalls(
      decided.map((p) =>
        prepare(
          { id: p.callId, type: 'function', function: { name: p.name, arguments: p.arguments } },
          ctx,
          p,
        ),
      ),
      ctx,
      deps,
      state,
      step,
    )
    if (ctx.signal.aborted) return aborted()
    await save()
  }

  const schemaCheck = run.agent.outputSchema === null ? null : compileSchema(run.agent.outputSchema)
  const toolDefs: ChatCompletionTool[] = [...ctx.tools.values()].map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }))

  for (;;) {
    if (ctx.signal.aborted) return aborted()
    if (state.turns >= limits.max_turns) {
      return fail({
        code: runErrorCodes.turnLimit,
        type: 'limit',
        message: `The run reached its limit of ${limits.max_turns} turns`,
      })
    }
    const spent = state.inputTokens + state.outputTokens
    if (spent >= limits.max_total_tokens) {
      return fail({
        code: runErrorCodes.tokenLimit,
        type: 'limit',
        message: `The run used ${spent} of ${limits.max_total_tokens} tokens`,
      })
    }

    let turn: Turn
    try {
      turn = await modelTurn(
        ctx,
        deps,
        state.messages,
        toolDefs,
        limits.max_total_tokens - spent,
        schemaCheck !== null,
      )
    } catch (err) {
      if (ctx.signal.aborted) return aborted()
      deps.logger.warn({ err, runId: run.id }, 'model call failed')
      return fail(describeModelError(err))
    }
    if (ctx.signal.aborted) return aborted()
    state.turns++
    state.inputTokens += turn.inputTokens
    state.outputTokens += turn.outputTokens
    state.messages.push({
      role: 'assistant',
      content: turn.content === '' && turn.toolCalls.length > 0 ? null : turn.content,
      ...(turn.toolCalls.length > 0 && { tool_calls: turn.toolCalls }),
    })
    await step('model', {
      content: turn.content,
      toolCalls: turn.toolCalls.map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      })),
      inputTokens: turn.inputTokens,
      outputTokens: turn.outputTokens,
      finishReason: turn.finishReason,
    })
    if (state.inputTokens + state.outputTokens > limits.max_total_tokens) {
      return fail({
        code: runErrorCodes.tokenLimit,
        type: 'limit',
        message: `The run used ${state.inputTokens + state.outputTokens} of ${limits.max_total_tokens} tokens`,
      })
    }

    if (turn.toolCalls.length === 0) {
      const problem = schemaCheck === null ? null : checkOutput(turn.content, schemaCheck)
      if (problem === null) {
        state.status = 'succeeded'
        state.output = turn.content
        return finish()
      }
      // A structured answer that does not match: the model is told why and tries again (a turn).
      state.messages.push({
        role: 'user',
        content: `Your answer must be JSON matching the schema: ${problem}`,
      })
      await save()
      continue
    }

    const prepared = turn.toolCalls.map((call) => prepare(call, ctx))
    const waiting = prepared.filter((p) => p.tool?.needsApproval === true && p.error === undefined)
    await runCalls(
      prepared.filter((p) => !waiting.includes(p)),
      ctx,
      deps,
      state,
      step,
    )
    if (ctx.signal.aborted) return aborted()
    if (waiting.length > 0) {
      state.pending = waiting.map((p) => ({
        callId: p.call.id,
        name: p.call.function.name,
        arguments: p.call.function.arguments,
        decision: null,
      }))
      state.status = 'awaiting_approval'
      if (!(await save())) return 'cancelled'
      await events.append('approval.required', {
        runId: run.id,
        calls: state.pending.map((p) => ({ callId: p.callId, name: p.name, arguments: p.arguments })),
      })
      return 'awaiting_approval'
    }
    await save()
  }
}

interface PreparedCall {
  call: ChatCompletionMessageFunctionToolCall
  tool: Tool | undefined
  args?: unknown
  /** Why the call cannot run: goes back to the model as the tool's result. */
  error?: string
  /** A human's decision, for a call that waited for one. */
  decided?: PendingCall
}

/** Finds the tool and checks the arguments against its schema (a human's edit replaces them). */
function prepare(
  call: ChatCompletionMessageFunctionToolCall,
  ctx: LoopContext,
  decided?: PendingCall,
): PreparedCall {
  const tool = ctx.tools.get(call.function.name)
  const base = { call, tool, ...(decided !== undefined && { decided }) }
  if (tool === undefined) return { ...base, error: `Unknown tool ${call.function.name}` }
  let args: unknown = decided?.editedArguments
  if (args === undefined) {
    try {
      args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments)
    } catch {
      return { ...base, error: 'The arguments are not valid JSON' }
    }
  }
  const validate = compileSchema(tool.parameters)
  if (!validate(args)) return { ...base, error: `Invalid arguments: ${describeErrors(validate)}` }
  return { ...base, args }
}

/**
 * Runs the calls that may run (at most `concurrency` at once, each within the tool timeout) and
 * appends one tool message per call, in the model's order. A bad call counts as a turn.
 */
async function runCalls(
  calls: PreparedCall[],
  ctx: LoopContext,
  deps: LoopDeps,
  state: RunProgress,
  step: (type: 'tool', data: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  if (calls.length === 0) return
  const { run, events } = ctx
  const limit = pLimit(deps.concurrency)
  const timeoutMs = run.agent.limits.tool_timeout_ms
  const results = await Promise.all(
    calls.map((p) =>
      limit(async (): Promise<{ ok: boolean; content: string }> => {
        void events.append('tool.call', {
          runId: run.id,
          callId: p.call.id,
          name: p.call.function.name,
          arguments: p.args ?? p.call.function.arguments,
        })
        if (p.error !== undefined) return { ok: false, content: p.error }
        if (p.decided?.decision === 'reject') {
          return {
            ok: false,
            content: `A human rejected this call${p.decided.reason ? `: ${p.decided.reason}` : ''}`,
          }
        }
        if (ctx.signal.aborted) return { ok: false, content: 'The run stopped before the call ran' }
        return callTool(p.tool as Tool, p.args, ctx, deps, timeoutMs)
      }),
    ),
  )
  for (const [i, p] of calls.entries()) {
    const result = results[i] as { ok: boolean; content: string }
    if (p.error !== undefined) state.turns++
    state.messages.push({ role: 'tool', tool_call_id: p.call.id, content: result.content })
    void events.append('tool.result', {
      runId: run.id,
      callId: p.call.id,
      name: p.call.function.name,
      ok: result.ok,
      content: result.content,
    })
    await step('tool', {
      callId: p.call.id,
      name: p.call.function.name,
      ok: result.ok,
      content: result.content,
    })
  }
}

async function callTool(
  tool: Tool,
  args: unknown,
  ctx: LoopContext,
  deps: LoopDeps,
  timeoutMs: number,
): Promise<{ ok: boolean; content: string }> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = AbortSignal.any([ctx.signal, timeout])
  let timer: NodeJS.Timeout | undefined
  try {
    const token = await deps.sign(ctx.run.identity)
    // A tool that ignores its signal still loses the race against the timeout.
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ToolError(`The tool took longer than ${timeoutMs} ms`)), timeoutMs)
    })
    const value = await Promise.race([tool.call(args, { identity: ctx.run.identity, token, signal }), gaveUp])
    return { ok: true, content: typeof value === 'string' ? value : JSON.stringify(value ?? null) }
  } catch (err) {
    if (err instanceof ToolError) return { ok: false, content: err.message }
    if (timeout.aborted) return { ok: false, content: `The tool took longer than ${timeoutMs} ms` }
    deps.logger.warn({ err, runId: ctx.run.id, tool: tool.name }, 'tool failed')
    return { ok: false, content: 'The tool failed' }
  } finally {
    clearTimeout(timer)
  }
}

/** One streamed model call: content deltas go out as `message.delta`, tool calls are assembled. */
async function modelTurn(
  ctx: LoopContext,
  deps: LoopDeps,
  messages: ChatCompletionMessageParam[],
  tools: ChatCompletionTool[],
  tokensLeft: number,
  structured: boolean,
): Promise<Turn> {
  const { run, events } = ctx
  const token = await deps.sign(run.identity)
  const schema = run.agent.outputSchema
  const stream = await deps.llm(token).chat.completions.create(
    {
      model: run.agent.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(tools.length > 0 && { tools, ...toolChoiceOf(run.agent.toolChoice, messages, tools) }),
      ...(tokensLeft < 4096 && { max_tokens: tokensLeft }),
      ...(structured &&
        schema !== null && {
          response_format: { type: 'json_schema', json_schema: { name: 'output', schema } },
        }),
    },
    { signal: ctx.signal },
  )
  let content = ''
  const calls: ChatCompletionMessageFunctionToolCall[] = []
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined
  let finishReason: string | null = null
  for await (const chunk of stream) {
    const choice = chunk.choices[0]
    const delta = choice?.delta
    if (delta?.content) {
      content += delta.content
      void events.append('message.delta', { runId: run.id, delta: delta.content })
    }
    for (const part of delta?.tool_calls ?? []) {
      const call = calls[part.index] ?? { id: '', type: 'function', function: { name: '', arguments: '' } }
      calls[part.index] = call
      if (part.id) call.id = part.id
      if (part.function?.name) call.function.name += part.function.name
      if (part.function?.arguments) call.function.arguments += part.function.arguments
    }
    if (choice?.finish_reason) finishReason = choice.finish_reason
    if (chunk.usage) usage = chunk.usage
  }
  // An abort may also just end the body early (the in-process transport does): not an answer.
  if (ctx.signal.aborted) throw ctx.signal.reason
  const toolCalls = calls
    .filter(Boolean)
    .map((c, i) => (c.id === '' ? { ...c, id: `call_${run.turns}_${i}` } : c))
  return {
    content,
    toolCalls,
    // Without usage from the router, about four characters a token.
    inputTokens: usage?.prompt_tokens ?? Math.ceil(JSON.stringify(messages).length / 4),
    outputTokens:
      usage?.completion_tokens ?? Math.ceil((content.length + JSON.stringify(toolCalls).length) / 4),
    finishReason,
  }
}

/**
 * The agent's tool_choice for a turn that answers a message; `auto` (left out) for a turn after a
 * tool result, so the model can answer, for a named tool the run no longer has, and for a run
 * stored before agents had a tool_choice (undefined).
 */
function toolChoiceOf(
  choice: string | undefined,
  messages: ChatCompletionMessageParam[],
  tools: ChatCompletionTool[],
): { tool_choice?: ChatCompletionToolChoiceOption } {
  if (choice === undefined || choice === 'auto' || messages.at(-1)?.role === 'tool') return {}
  if (choice === 'required' || choice === 'none') return { tool_choice: choice }
  const offered = tools.some((t) => t.type === 'function' && t.function.name === choice)
  return offered ? { tool_choice: { type: 'function', function: { name: choice } } } : {}
}

function checkOutput(content: string, validate: ReturnType<typeof compileSchema>): string | null {
  let value: unknown
  try {
    value = JSON.parse(content)
  } catch {
    return 'the answer is not JSON'
  }
  return validate(value) ? null : describeErrors(validate)
}

/** The openai client's errors carry the router's code and type (also for an in-band stream error). */
function describeModelError(err: unknown): RunError {
  const e = err as { code?: unknown; type?: unknown; message?: unknown; error?: { message?: unknown } }
  return {
    code: typeof e.code === 'string' ? e.code : runErrorCodes.model,
    type: typeof e.type === 'string' ? e.type : 'server_error',
    message:
      typeof e.error?.message === 'string'
        ? e.error.message
        : typeof e.message === 'string'
          ? e.message
          : 'The model call failed',
  }
}
