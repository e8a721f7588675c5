import { type Static, Type } from 'typebox'

// Services render admin's prompts (`GET /v1/prompts/{name}?label=`): admin validates and answers
// with these schemas, and its callers (chat) parse references and answers with the same ones.

/** A prompt's name, unanchored: callers also find it inside a reference (`name@label`). */
export const promptNamePattern = '[a-z0-9][a-z0-9._-]{0,127}'
/** A label such as production or staging, unanchored. */
export const labelNamePattern = '[a-z][a-z0-9_-]{0,63}'

export const PromptName = Type.String({ pattern: `^${promptNamePattern}$` })
export const LabelName = Type.String({ pattern: `^${labelNamePattern}$` })

/** Model settings the prompt was written for; keys the caller adds pass through. */
export const ModelConfig = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: true },
)

/** `GET /v1/prompts/{name}`: a label (default production) or a version number. */
export const ResolvePromptQuery = Type.Object(
  { label: Type.Optional(LabelName), version: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
)
export type ResolvePromptQuery = Static<typeof ResolvePromptQuery>

/** What a service gets to render: one version, and the label it came through. */
export const ResolvedPrompt = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  label: Type.Union([Type.String(), Type.Null()]),
  template: Type.String(),
  variables: Type.Array(Type.String()),
  modelConfig: ModelConfig,
})
export type ResolvedPrompt = Static<typeof ResolvedPrompt>
