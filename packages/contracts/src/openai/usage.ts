import { type Static, Type } from 'typebox'

const Count = Type.Integer({ minimum: 0 })

/** Token counts of one chat completion, as OpenAI reports them. */
export const Usage = Type.Object({
  prompt_tokens: Count,
  completion_tokens: Count,
  total_tokens: Count,
  prompt_tokens_details: Type.Optional(
    Type.Union([
      Type.Object({ cached_tokens: Type.Optional(Count), audio_tokens: Type.Optional(Count) }),
      Type.Null(),
    ]),
  ),
  completion_tokens_details: Type.Optional(
    Type.Union([
      Type.Object({
        reasoning_tokens: Type.Optional(Count),
        audio_tokens: Type.Optional(Count),
        accepted_prediction_tokens: Type.Optional(Count),
        rejected_prediction_tokens: Type.Optional(Count),
      }),
      Type.Null(),
    ]),
  ),
})
export type Usage = Static<typeof Usage>
