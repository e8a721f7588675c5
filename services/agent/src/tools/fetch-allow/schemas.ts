import { Type } from 'typebox'

/** `scheme://host[:port]`, the host may start with `*.` (its subdomains). */
export const AllowEntry = Type.String({ minLength: 1, maxLength: 300 })

export const FetchAllowList = Type.Object({
  object: Type.Literal('agent.http_fetch.allow_list'),
  entries: Type.Array(AllowEntry),
})

export const PutFetchAllowList = Type.Object(
  { entries: Type.Array(AllowEntry, { maxItems: 200 }) },
  { additionalProperties: false },
)
