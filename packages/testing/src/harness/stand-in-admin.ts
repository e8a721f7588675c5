import {
  adminErrorCodes,
  type KeyResolution,
  type MemberResolution,
  resolveKeysScope,
  resolveMembersScope,
} from '@switchyard/contracts'
import { echo, type StandInHandler } from './http-stand-in.ts'

/** admin's internal route that turns a presented API key into its identity. */
export const KEY_RESOLUTION_PATH = '/admin/v1/internal/keys/resolve'

/**
 * A stand-in admin's answers: the key-resolution route from `keys` (the API key as presented ->
 * what it resolves to), with admin's status codes and error codes, and an echo for anything else.
 * Only a caller whose internal token holds `resolveKeysScope` (the gateway) may resolve.
 */
export function answerKeyResolution(keys: ReadonlyMap<string, KeyResolution>): StandInHandler {
  return (request, res) => {
    if (request.url !== KEY_RESOLUTION_PATH) return echo(request, res)
    if (!request.identity?.scopes.includes(resolveKeysScope)) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: { type: 'permission_error', message: 'scope', code: adminErrorCodes.MissingScope },
        }),
      )
      return
    }
    const resolution = keys.get(JSON.parse(request.body).key)
    if (resolution === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: {
            type: 'authentication_error',
            message: 'Invalid API key',
            code: adminErrorCodes.InvalidApiKey,
          },
        }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(resolution))
  }
}

/** admin's internal route that checks an OIDC sign-in against memberships. */
export const MEMBER_RESOLUTION_PATH = '/admin/v1/internal/members/resolve'

/** The key of `answerMemberResolution`'s table: an org and an IdP subject. */
export const memberKey = (orgId: string, subject: string) => `${orgId} ${subject}`

/**
 * A stand-in admin's answer to OIDC member resolution, from `members` (memberKey(org, subject) ->
 * what admin answers), with admin's status and error codes; anything else goes to `otherwise`.
 * Only a caller whose token holds `resolveMembersScope` (the gateway) may resolve.
 */
export function answerMemberResolution(
  members: ReadonlyMap<string, MemberResolution>,
  otherwise: StandInHandler = echo,
): StandInHandler {
  return (request, res) => {
    if (request.url !== MEMBER_RESOLUTION_PATH) return otherwise(request, res)
    const refuse = (status: number, type: string, code: string) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { type, message: code, code } }))
    }
    if (!request.identity?.scopes.includes(resolveMembersScope))
      return refuse(403, 'permission_error', adminErrorCodes.MissingScope)
    const { orgId, subject } = JSON.parse(request.body) as { orgId: string; subject: string }
    const member = members.get(memberKey(orgId, subject))
    if (member === undefined) return refuse(403, 'permission_error', adminErrorCodes.NotAMember)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(member))
  }
}
