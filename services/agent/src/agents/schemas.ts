import { type Static, Type } from 'typebox'

/** What a run of the agent may spend before it ends with an `error` event. */
export const Limits = Type.Object(
  {
    /** Model turns (and bad tool calls) in one run. */
    max_turns: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    /** Prompt plus completion tokens over the whole run. */
    max_total_tokens: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
    /** Wall time of the run, from its start to its end, paused time excluded; milliseconds. */
    max_wall_time_ms: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 300_000 }),
    /** One tool call's longest run, milliseconds. */
    tool_timeout_ms: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  },
  { additionalProperties: false },
)
export type Limits = Static<typeof Limits>

/** A literal system prompt, or a reference to one of admin's prompts (`name@label`). */
export const Instructions = Type.Union([
  Type.Object({ text: Type.String({ maxLength: 100_000 }) }, { additionalProperties: false }),
  Type.Object({ prompt: Type.String({ minLength: 3, maxLength: 200 }) }, { additionalProperties: false }),
])
export type Instructions = Static<typeof Instructions>

/**
 * Whether a model turn that answers a message must call a tool: `auto` (the model decides),
 * `required` (one of its tools), `none`, or one of its tools by name. A turn after a tool result
 * is always `auto`, so the model can answer. Small local models call tools only when made to.
 */
const toolChoice = { minLength: 1, maxLength: 128 }

const agentFields = {
  /** Unique in the org; what `POST /v1/runs` may name instead of the id. */
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  /** What the agent is for: the supervisor compares messages with it. */
  description: Type.String({ maxLength: 2_000, default: '' }),
  instructions: Type.Union([Type.String({ maxLength: 100_000 }), Instructions]),
  /** An llm-router alias (default AGENT_DEFAULT_MODEL). */
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Names of tools the org's tool sources provide. */
  tools: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
    maxItems: 64,
    uniqueItems: true,
    default: [],
  }),
  /** Agents (names or ids) whose runs carry out the steps of this agent's plan: it becomes a planner. */
  delegates: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
    maxItems: 16,
    uniqueItems: true,
    default: [],
  }),
  limits: Type.Optional(Type.Partial(Limits)),
  tool_choice: Type.String({ ...toolChoice, default: 'auto' }),
  /** A JSON schema the final answer must match; it must compile. */
  output_schema: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  /** Example utterances for the supervisor's embedding stage. */
  examples: Type.Array(Type.String({ minLength: 1, maxLength: 2_000 }), { maxItems: 200, default: [] }),
  metadata: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), {
    maxProperties: 16,
    default: {},
  }),
}

export const AgentCreate = Type.Object(agentFields, { additionalProperties: false })
export type AgentCreate = Static<typeof AgentCreate>

/** A change: the fields given replace the stored ones. */
export const AgentUpdate = Type.Partial(
  Type.Object(
    {
      ...agentFields,
      description: Type.String({ maxLength: 2_000 }),
      tool_choice: Type.String(toolChoice),
      tools: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64, uniqueItems: true }),
      delegates: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        maxItems: 16,
        uniqueItems: true,
      }),
      examples: Type.Array(Type.String({ minLength: 1, maxLength: 2_000 }), { maxItems: 200 }),
      metadata: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), {
        maxProperties: 16,
      }),
    },
    { additionalProperties: false },
  ),
)
export type AgentUpdate = Static<typeof AgentUpdate>

export const AgentView = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent'),
  created_at: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  instructions: Instructions,
  model: Type.String(),
  tools: Type.Array(Type.String()),
  delegates: Type.Array(Type.String()),
  limits: Limits,
  tool_choice: Type.String(),
  output_schema: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  examples: Type.Array(Type.String()),
  metadata: Type.Record(Type.String(), Type.String()),
  /** A deployment's agent from AGENT_BUILTIN_AGENTS_FILE: read-only. */
  builtin: Type.Boolean(),
})
export type AgentView = Static<typeof AgentView>

export const AgentParams = Type.Object({ agent_id: Type.String({ minLength: 1, maxLength: 128 }) })

export const AgentListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  /** The page after this agent id (creation order). */
  after: Type.Optional(Type.String({ maxLength: 128 })),
})

export const AgentList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(AgentView),
  first_id: Type.Union([Type.String(), Type.Null()]),
  last_id: Type.Union([Type.String(), Type.Null()]),
  has_more: Type.Boolean(),
})

export const AgentDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent.deleted'),
  deleted: Type.Boolean(),
})
