import { type CallOptions, callService, type ServiceAnswer, type ServiceEndpoint } from '../service-call.ts'
import { KeyResolution } from './key-resolution.ts'
import { MemberResolution, type ResolveMemberBody } from './member-resolution.ts'
import { ResolvedPrompt, type ResolvePromptQuery } from './prompts.ts'

/** What other services ask admin. Each route's schemas are in this folder; admin serves them. */
export interface AdminClient {
  /**
   * `POST /admin/v1/internal/keys/resolve`, with a token carrying `resolveKeysScope`. A key that
   * does not resolve answers 401 `adminErrorCodes.InvalidApiKey`.
   */
  resolveKey(key: string, options: CallOptions): Promise<ServiceAnswer<KeyResolution>>
  /**
   * `POST /admin/v1/internal/members/resolve`, with a token carrying `resolveMembersScope`: an
   * OIDC subject's membership of the org (made on first sight when the org provisions). Not a
   * member (or the org is gone) answers 403 `adminErrorCodes.NotAMember`.
   */
  resolveMember(who: ResolveMemberBody, options: CallOptions): Promise<ServiceAnswer<MemberResolution>>
  /**
   * `GET /v1/prompts/{name}?label=|version=`, with the caller's token (admin scopes prompts to its
   * org). A prompt that does not exist answers 404 `adminErrorCodes.NotFound`.
   */
  resolvePrompt(
    name: string,
    which: ResolvePromptQuery,
    options: CallOptions,
  ): Promise<ServiceAnswer<ResolvedPrompt>>
}

/** admin's client over the caller's dispatcher (`ctx.dispatcher`) and admin's origin. */
export function createAdminClient(endpoint: ServiceEndpoint): AdminClient {
  return {
    resolveKey: (key, options) =>
      callService(
        endpoint,
        { method: 'POST', path: '/admin/v1/internal/keys/resolve', body: { key } },
        KeyResolution,
        options,
      ),
    resolveMember: (who, options) =>
      callService(
        endpoint,
        { method: 'POST', path: '/admin/v1/internal/members/resolve', body: who },
        MemberResolution,
        options,
      ),
    resolvePrompt(name, which, options) {
      const query = new URLSearchParams()
      if (which.label !== undefined) query.set('label', which.label)
      if (which.version !== undefined) query.set('version', String(which.version))
      const search = query.size > 0 ? `?${query}` : ''
      return callService(
        endpoint,
        { method: 'GET', path: `/v1/prompts/${encodeURIComponent(name)}${search}` },
        ResolvedPrompt,
        options,
      )
    },
  }
}
