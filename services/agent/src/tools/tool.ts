import type { Identity } from '@switchyard/contracts'

/** What a tool call may use: who asked (forwarded to other services), and when to stop. */
export interface ToolCallContext {
  identity: Identity
  /** An internal token for `identity`, valid for this call, to forward to the router or rag. */
  token: string
  signal: AbortSignal
}

/** A tool the model may call: OpenAI function shape plus how to run it. */
export interface Tool {
  name: string
  description: string
  /** JSON Schema of the arguments (the OpenAI function's `parameters`). */
  parameters: Record<string, unknown>
  /** Pauses the run for a human's approval before it runs. */
  needsApproval?: boolean
  /** The result given to the model (strings as they are, anything else as JSON). Throw
   *  `ToolError` for a failure the model should see and may correct. */
  call(args: unknown, ctx: ToolCallContext): Promise<unknown>
}

/** A failure reported back to the model as the tool's result, never a crash of the run. */
export class ToolError extends Error {}

/** Where an org's tools come from (built-ins, org HTTP tools, MCP servers). */
export interface ToolSource {
  tools(orgId: string, signal: AbortSignal): Promise<Tool[]>
}
