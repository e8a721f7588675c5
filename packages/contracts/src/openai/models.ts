import { type Static, Type } from 'typebox'

export const Model = Type.Object({
  /** The name callers pass as `model`: for the router, a route alias. */
  id: Type.String({ minLength: 1 }),
  object: Type.Literal('model'),
  /** Unix time, seconds. */
  created: Type.Integer({ minimum: 0 }),
  owned_by: Type.String(),
})
export type Model = Static<typeof Model>

/** The body of `GET /v1/models`. */
export const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Model),
})
export type ModelList = Static<typeof ModelList>
