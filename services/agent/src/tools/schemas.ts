import { type Static, Type } from 'typebox'

/** The function name a model sees: OpenAI's rule. `__` is kept for MCP tools (`server__tool`). */
export const ToolName = Type.String({ pattern: '^(?!.*__)[a-zA-Z0-9_-]{1,64}$' })

/** Which deployment secret an org tool sends, and in which header. Never the value. */
export const SecretRefInput = Type.Object(
  {
    /** A name in AGENT_TOOL_SECRETS. */
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }),
    header: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" })),
    /** Written before the value, e.g. `Bearer `. */
    prefix: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
)

export const SecretRefView = Type.Object({
  name: Type.String(),
  header: Type.String(),
  prefix: Type.String(),
})

/** An http(s) URL without credentials in it (they belong in a secret). */
export const EndpointUrl = Type.String({ pattern: '^https?://[^@\\s]+$', maxLength: 2048 })

export const ToolIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })

export const Deleted = (object: string) =>
  Type.Object({ id: Type.String(), object: Type.Literal(object), deleted: Type.Literal(true) })

/** One tool as `GET /v1/agents/tools` lists it: what an agent may name in its `tools`. */
export const ToolView = Type.Object({
  name: Type.String(),
  description: Type.String(),
  parameters: Type.Record(Type.String(), Type.Unknown()),
  needs_approval: Type.Boolean(),
  source: Type.Union([Type.Literal('builtin'), Type.Literal('http'), Type.Literal('mcp')]),
})
export type ToolView = Static<typeof ToolView>

export const ToolList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ToolView),
  /** MCP servers that could not be listed just now (their tools are missing from `data`). */
  unavailable: Type.Array(Type.Object({ server: Type.String(), error: Type.String() })),
})
