import { LabelName, ModelConfig, PromptName } from '@switchyard/contracts'
import { type Static, Type } from 'typebox'

/** A template variable, written `{{name}}` in the template. */
export const VariableName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' })

export const PromptVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  template: Type.String(),
  variables: Type.Array(Type.String()),
  modelConfig: ModelConfig,
  /** Labels pointing at this version now. */
  labels: Type.Array(Type.String()),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
})
export type PromptVersion = Static<typeof PromptVersion>

export const Prompt = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  latestVersion: Type.Integer(),
  /** Label → version. */
  labels: Type.Record(Type.String(), Type.Integer()),
  createdAt: Type.String({ format: 'date-time' }),
})
export type Prompt = Static<typeof Prompt>

export const NewPromptVersion = Type.Object(
  {
    template: Type.String({ minLength: 1, maxLength: 100_000 }),
    /** Every `{{name}}` in the template must be declared here. */
    variables: Type.Array(VariableName, { maxItems: 100, default: [] }),
    modelConfig: Type.Optional(ModelConfig),
    /** Set when this version creates the prompt. */
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Labels to move to the new version at once (e.g. staging). */
    labels: Type.Array(LabelName, { maxItems: 10, default: [] }),
  },
  { additionalProperties: false },
)
export type NewPromptVersion = Static<typeof NewPromptVersion>

export const MoveLabelBody = Type.Object(
  { version: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
)

export const LabelMove = Type.Object({
  name: Type.String(),
  label: Type.String(),
  version: Type.Integer(),
  /** The version it pointed at before, or null if it is new. */
  previousVersion: Type.Union([Type.Integer(), Type.Null()]),
})

export const PromptParams = Type.Object({ name: PromptName })
export const VersionParams = Type.Object({ name: PromptName, version: Type.Integer({ minimum: 1 }) })
export const LabelParams = Type.Object({ name: PromptName, label: LabelName })
