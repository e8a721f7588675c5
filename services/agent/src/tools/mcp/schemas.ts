import { type Static, Type } from 'typebox'
import { EndpointUrl, SecretRefInput, SecretRefView } from '../schemas.ts'

/** true/false for all the server's tools, or the names (as the server lists them) that need approval. */
const NeedsApproval = Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1, maxLength: 128 }))])

export const NewMcpServer = Type.Object(
  {
    /** Prefixes its tools' names: `<name>__<tool>`. */
    name: Type.String({ pattern: '^[a-zA-Z0-9-]{1,32}$' }),
    /** The streamable HTTP endpoint (`https://host/mcp`). */
    url: EndpointUrl,
    secret: Type.Optional(SecretRefInput),
    needs_approval: Type.Optional(NeedsApproval),
  },
  { additionalProperties: false },
)
export type NewMcpServer = Static<typeof NewMcpServer>

export const McpServerView = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent.mcp_server'),
  name: Type.String(),
  url: Type.String(),
  secret: Type.Union([SecretRefView, Type.Null()]),
  needs_approval: NeedsApproval,
  /** Unix seconds. */
  created_at: Type.Integer(),
})
export type McpServerView = Static<typeof McpServerView>

export const McpServerList = Type.Object({ object: Type.Literal('list'), data: Type.Array(McpServerView) })
