import { Type } from 'typebox'

/** A message of the input, OpenAI's shape (text only). */
const InputMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.String({ maxLength: 200_000 }),
  },
  { additionalProperties: false },
)

const runFields = {
  /** The user's message, or a short conversation ending with one. */
  input: Type.Union([
    Type.String({ minLength: 1, maxLength: 200_000 }),
    Type.Array(InputMessage, { minItems: 1, maxItems: 100 }),
  ]),
  /** A previous run this one follows up: its conversation goes on (and, for `/v1/runs`, its agent). */
  thread_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Answer with the run's events as SSE. */
  stream: Type.Boolean({ default: false }),
  /** Answer at once with the started run instead of waiting for it to end or pause. */
  background: Type.Boolean({ default: false }),
}

export const AgentRunCreate = Type.Object(runFields, { additionalProperties: false })

export const SupervisedRunCreate = Type.Object(
  {
    ...runFields,
    /** The agent (id or name) to run; absent: the supervisor chooses. */
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
)

export const RunParams = Type.Object({ run_id: Type.String({ minLength: 1, maxLength: 128 }) })
export const ApprovalParams = Type.Object({
  run_id: Type.String({ minLength: 1, maxLength: 128 }),
  call_id: Type.String({ minLength: 1, maxLength: 256 }),
})

export const ApprovalDecision = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    /** Replacement arguments for an approved call (checked against the tool's schema). */
    arguments: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Why it was rejected: told to the model. */
    reason: Type.Optional(Type.String({ maxLength: 2_000 })),
  },
  { additionalProperties: false },
)

export const RunListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  /** The page after this run id (newest first). */
  after: Type.Optional(Type.String({ maxLength: 128 })),
  agent_id: Type.Optional(Type.String({ maxLength: 128 })),
})

export const RunEventsQuery = Type.Object({
  /** The last event id seen (as Last-Event-ID): the stream starts after it. */
  after: Type.Optional(Type.String({ maxLength: 300 })),
})

const Usage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
})

export const RunView = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent.run'),
  created_at: Type.Integer(),
  agent_id: Type.String(),
  /** The planner's run this run is a step of. */
  parent_run_id: Type.Union([Type.String(), Type.Null()]),
  thread_id: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  route: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  output: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), type: Type.String() }),
    Type.Null(),
  ]),
  pending_approvals: Type.Array(
    Type.Object({ call_id: Type.String(), name: Type.String(), arguments: Type.String() }),
  ),
  /** A planner's plan: its phase and steps, each with the child run that carries it out. */
  plan: Type.Union([
    Type.Object({
      phase: Type.String(),
      steps: Type.Array(
        Type.Object({
          agent: Type.String(),
          task: Type.String(),
          child_run_id: Type.Union([Type.String(), Type.Null()]),
          status: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
    Type.Null(),
  ]),
  turns: Type.Integer(),
  /** A planner's usage includes its children's. */
  usage: Usage,
  finished_at: Type.Union([Type.Integer(), Type.Null()]),
})

export const RunWithSteps = Type.Intersect([
  RunView,
  Type.Object({
    /** The runs that carry out a planner's steps, in the order they started. */
    children: Type.Array(RunView),
    steps: Type.Array(
      Type.Object({
        seq: Type.Integer(),
        type: Type.String(),
        created_at: Type.Integer(),
        data: Type.Unknown(),
      }),
    ),
  }),
])

export const RunList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(RunView),
  first_id: Type.Union([Type.String(), Type.Null()]),
  last_id: Type.Union([Type.String(), Type.Null()]),
  has_more: Type.Boolean(),
})
