import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

/** A secret org tools may send: its value, where it may go, and which orgs may use it. */
export const ToolSecret = Type.Object(
  {
    value: Type.String({ minLength: 1 }),
    /** Origins (`https://api.example.com`) the secret may be sent to; nowhere else, redirects included. */
    origins: Type.Array(Type.String({ pattern: '^https?://[^/]+$' }), { minItems: 1 }),
    /** Org ids that may reference it; unset: every org (a single-org deployment). */
    orgs: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
)
export type ToolSecret = Static<typeof ToolSecret>

/** The tools' settings, part of the agent's config (AgentConfig spreads these properties). */
export const ToolsConfig = Type.Object({
  /**
   * Secrets org HTTP tools and MCP servers name (JSON: `{"weather": {"value", "origins", "orgs"}}`);
   * mount it as a file with AGENT_TOOL_SECRETS_FILE. Rows store the name, never the value.
   */
  AGENT_TOOL_SECRETS: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }), ToolSecret, {
    default: {},
  }),
  /** CIDRs tools may reach although they are private or loopback (an MCP server in your network). */
  AGENT_TOOLS_TRUSTED_NETWORKS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Bytes of a response body a tool keeps (http_fetch, HTTP tools); the rest is cut. */
  AGENT_TOOLS_FETCH_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 262_144 }),
  /** One fetch by a tool, redirects included. */
  AGENT_TOOLS_FETCH_TIMEOUT: Duration({ default: '15s', minimum: 100 }),
  /** Redirects a tool's fetch follows, each checked again. */
  AGENT_TOOLS_FETCH_MAX_REDIRECTS: Type.Integer({ minimum: 0, maximum: 10, default: 5 }),
  /** How long an MCP server's tool list is reused before it is listed again. */
  AGENT_MCP_TOOLS_TTL: Duration({ default: '60s', minimum: 0 }),
})
export type ToolsConfig = Static<typeof ToolsConfig>
