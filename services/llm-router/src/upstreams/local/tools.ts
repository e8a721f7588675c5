// OpenAI function calling on a local model, through node-llama-cpp's function calling: the chat
// wrapper documents the functions in the system prompt, and once the model begins a call the
// wrapper's call syntax, the function name and the arguments are generated under a grammar made
// from the tools' JSON schemas, so even a 135M model writes calls that parse and fit the schema.
// The provider never runs a function: LlamaChat stops at the call (stopReason `functionCalls`) and
// the call goes back as OpenAI `tool_calls`; the caller runs it and sends a `role: tool` message.
import { randomUUID } from 'node:crypto'
import type { ChatCompletionRequest } from '@switchyard/contracts'
import {
  type ChatModelFunctions,
  type ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedInitiallyEngagedFunctionsContextState,
  type ChatWrapperGeneratedPrefixTriggersContextState,
  type GbnfJsonSchema,
  LlamaText,
} from 'node-llama-cpp'
import { UpstreamError } from '../provider.ts'

/** What a request's `tools` and `tool_choice` ask of the generation. */
export interface ToolUse {
  /** The functions the model may call (documented in its prompt). */
  functions: ChatModelFunctions
  /** `required` or a named function: the answer begins with a call, so it is one. */
  force: boolean
}

const refuse = (message: string) => new UpstreamError('bad_request', message)

/** The request's tools as node-llama-cpp functions, or undefined when none may be called. */
export function toolUse(request: ChatCompletionRequest): ToolUse | undefined {
  const tools = request.tools ?? []
  const choice = request.tool_choice ?? 'auto'
  if (tools.length === 0) {
    if (typeof choice === 'object' || choice === 'required')
      throw refuse('tool_choice names a tool but the request has no tools')
    return undefined
  }
  if (choice === 'none') return undefined
  const named = typeof choice === 'object' ? choice.function.name : undefined
  const functions: Record<string, ChatModelFunctions[string]> = {}
  for (const { function: f } of tools) {
    if (named !== undefined && f.name !== named) continue
    functions[f.name] = {
      ...(f.description === undefined ? {} : { description: f.description }),
      // node-llama-cpp reads the JSON Schema subset it knows and treats the rest as any value.
      ...(f.parameters === undefined ? {} : { params: f.parameters as unknown as GbnfJsonSchema }),
    }
  }
  if (named !== undefined && functions[named] === undefined)
    throw refuse(`tool_choice names ${named}, which is not one of the request's tools`)
  return { functions, force: named !== undefined || choice === 'required' }
}

/**
 * The model's chat wrapper, except that the answer starts in function-calling mode: the wrapper's
 * call prefix is put in the context and the grammar makes the model pick a function and write its
 * arguments. (node-llama-cpp's `noPrefixTrigger`, which wrappers like Muse use for the same.)
 */
export function forcingCall(wrapper: ChatWrapper): ChatWrapper {
  const forcing: ChatWrapper = Object.create(wrapper)
  forcing.generateContextState = (options: ChatWrapperGenerateContextStateOptions) => {
    const state = wrapper.generateContextState(options)
    // Wrappers of the older shape (ignoreStartText) say the same with an initially engaged call.
    if (state.ignoreStartText !== undefined || state.functionCall !== undefined) {
      const engaged = state as ChatWrapperGeneratedInitiallyEngagedFunctionsContextState
      return { ...engaged, functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] } }
    }
    const triggered = state as ChatWrapperGeneratedPrefixTriggersContextState
    return { ...triggered, noPrefixTrigger: { type: 'functionCall', inject: LlamaText([]) } }
  }
  return forcing
}

/** An OpenAI tool call as the local model made it. */
export interface LocalToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export function toolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`
}

/** Arguments as OpenAI sends them: a JSON object as text (`{}` for a function without params). */
export function argumentsText(params: unknown): string {
  return JSON.stringify(params ?? {})
}
