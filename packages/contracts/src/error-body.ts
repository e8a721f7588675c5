import { type Static, Type } from 'typebox'

/** The OpenAI error shape every service answers with. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    /** Broad class: invalid_request_error, authentication_error, rate_limit_error, server_error, ... */
    type: Type.String(),
    message: Type.String(),
    /** Stable machine-readable code, e.g. KIT_ERR_VALIDATION or LLM_ROUTER_ERR_UNKNOWN_MODEL. */
    code: Type.Union([Type.String(), Type.Null()]),
    param: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
})
export type ErrorBody = Static<typeof ErrorBody>
