import { type Static, Type } from 'typebox'
import { EndpointUrl, SecretRefInput, SecretRefView, ToolName } from '../schemas.ts'

export const NewHttpTool = Type.Object(
  {
    name: ToolName,
    description: Type.String({ minLength: 1, maxLength: 1024 }),
    /** The arguments' JSON schema (an object schema); it must compile, else 400 and nothing stored. */
    parameters: Type.Object({ type: Type.Literal('object') }, { additionalProperties: true }),
    /** Called with the arguments: as a JSON body (POST) or the query string (GET). */
    url: EndpointUrl,
    method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
    secret: Type.Optional(SecretRefInput),
    needs_approval: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type NewHttpTool = Static<typeof NewHttpTool>

export const HttpToolView = Type.Object({
  id: Type.String(),
  object: Type.Literal('agent.http_tool'),
  name: Type.String(),
  description: Type.String(),
  parameters: Type.Record(Type.String(), Type.Unknown()),
  url: Type.String(),
  method: Type.Union([Type.Literal('GET'), Type.Literal('POST')]),
  secret: Type.Union([SecretRefView, Type.Null()]),
  needs_approval: Type.Boolean(),
  /** Unix seconds. */
  created_at: Type.Integer(),
})
export type HttpToolView = Static<typeof HttpToolView>

export const HttpToolList = Type.Object({ object: Type.Literal('list'), data: Type.Array(HttpToolView) })
