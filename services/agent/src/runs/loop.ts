import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import pLimit from 'p-limit'
import { compileSchema, describeErrors } from '../json-schema.ts'
import { type Tool, ToolError } from '../tools/tool.ts'
import { runPlan } from './delegation.ts'
import { describeModelError, modelTurn, type Turn } from './model-turn.ts'
import {
  type LoopContext,
  type LoopDeps,
  type LoopOutcome,
  type Progress,
  runErrorCodes,
  trackProgress,
} from './progress.ts'
import type { PendingCall } from './run.ts'

/**
 * The tool loop: a model turn through the router (streaming, with the agent's tools), then the
 * tool calls it asked for (arguments checked against each tool's schema first; a bad call goes
 * back to the model as the tool's error and counts as a turn), until the model answers without
 * tools, a limit ends the run, or a tool that needs approval pauses it. The state is written
 * after every step, so another replica can go on from there. A planner first plans and has its
 * steps carried out by child runs (delegation.ts); its final answer is this loop's.
 */
export async function runLoop(ctx: LoopContext, deps: LoopDeps): Promise<LoopOutcome> {
  const { run, events } = ctx
  const limits = run.agent.limits
  const p = await trackProgress(ctx, deps)
  const { state } = p

  // Calls decided by a human since the run paused: run (or refuse) them before the next turn.
  if (state.pending.length > 0) {
    const decided = state.pending
    state.pending = []
    await runCalls(
      decided.map((c) =>
        prepare(
          { id: c.callId, type: 'function', function: { name: c.name, arguments: c.arguments } },
          ctx,
          c,
        ),
      ),
      ctx,
      deps,
      p,
    )
    if (ctx.signal.aborted) return p.aborted()
    await p.save()
  }

  if (state.plan !== null && state.plan.phase !== 'review') {
    const planned = await runPlan(ctx, deps, p)
    if (planned !== 'review') return planned
  }

  const schemaCheck = run.agent.outputSchema === null ? null : compileSchema(run.agent.outputSchema)
  const toolDefs: ChatCompletionTool[] = [...ctx.tools.values()].map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }))

  for (;;) {
    if (ctx.signal.aborted) return p.aborted()
    const limit = p.limitReached()
    if (limit !== null) return limit
    const spent = state.inputTokens + state.outputTokens

    let turn: Turn
    try {
      turn = await modelTurn(ctx, deps, state.messages, {
        tools: toolDefs,
        tokensLeft: limits.max_total_tokens - spent,
        format: run.agent.outputSchema === null ? null : { name: 'output', schema: run.agent.outputSchema },
        deltas: true,
      })
    } catch (err) {
      if (ctx.signal.aborted) return p.aborted()
      deps.logger.warn({ err, runId: run.id }, 'model call failed')
      return p.fail(describeModelError(err))
    }
    if (ctx.signal.aborted) return p.aborted()
    state.turns++
    state.inputTokens += turn.inputTokens
    state.outputTokens += turn.outputTokens
    state.messages.push({
      role: 'assistant',
      content: turn.content === '' && turn.toolCalls.length > 0 ? null : turn.content,
      ...(turn.toolCalls.length > 0 && { tool_calls: turn.toolCalls }),
    })
    await p.step('model', {
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
      return p.fail({
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
        return p.finish()
      }
      // A structured answer that does not match: the model is told why and tries again (a turn).
      state.messages.push({
        role: 'user',
        content: `Your answer must be JSON matching the schema: ${problem}`,
      })
      await p.save()
      continue
    }

    const prepared = turn.toolCalls.map((call) => prepare(call, ctx))
    const waiting = prepared.filter((c) => c.tool?.needsApproval === true && c.error === undefined)
    await runCalls(
      prepared.filter((c) => !waiting.includes(c)),
      ctx,
      deps,
      p,
    )
    if (ctx.signal.aborted) return p.aborted()
    if (waiting.length > 0) {
      state.pending = waiting.map((c) => ({
        callId: c.call.id,
        name: c.call.function.name,
        arguments: c.call.function.arguments,
        decision: null,
      }))
      state.status = 'awaiting_approval'
      if (!(await p.save())) return 'cancelled'
      await events.append('approval.required', {
        runId: run.id,
        calls: state.pending.map((c) => ({ callId: c.callId, name: c.name, arguments: c.arguments })),
      })
      return 'awaiting_approval'
    }
    await p.save()
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
  progress: Progress,
): Promise<void> {
  if (calls.length === 0) return
  const { state } = progress
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
    await progress.step('tool', {
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

function checkOutput(content: string, validate: ReturnType<typeof compileSchema>): string | null {
  let value: unknown
  try {
    value = JSON.parse(content)
  } catch {
    return 'the answer is not JSON'
  }
  return validate(value) ? null : describeErrors(validate)
}
