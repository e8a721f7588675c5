import type { Identity, ServiceName } from '@switchyard/contracts'
import type { SharedState } from '@switchyard/kit'
import type { Logger } from 'pino'
import { chatErrors } from '../errors.ts'

/** `name@label`, with admin's rules for both parts. */
const PROMPT_REF = /^([a-z0-9][a-z0-9._-]{0,127})@([a-z][a-z0-9_-]{0,63})$/

export function parsePromptRef(ref: string): { name: string; label: string } {
  const match = PROMPT_REF.exec(ref)
  if (!match) throw Object.assign(new chatErrors.BadPromptRef(ref), { param: 'prompt' })
  return { name: match[1] as string, label: match[2] as string }
}

export interface PromptResolverOptions {
  state: SharedState
  fetch: typeof fetch
  serviceUrl(name: ServiceName): string
  logger: Logger
  /** How long a resolved template is reused, ms: a moved label shows after at most this. */
  cacheTtlMs: number
}

/**
 * Resolves `name@label` to its template through admin's `GET /v1/prompts/{name}?label=`, with
 * the caller's token (admin scopes prompts to the token's org). Cached per org in the shared state.
 */
export class PromptResolver {
  readonly #o: PromptResolverOptions

  constructor(options: PromptResolverOptions) {
    this.#o = options
  }

  /** @throws CHAT_ERR_BAD_PROMPT_REF, CHAT_ERR_PROMPT_NOT_FOUND, CHAT_ERR_PROMPT_UNAVAILABLE */
  async resolve(ref: string, identity: Identity, token: string): Promise<string> {
    const { name, label } = parsePromptRef(ref)
    const key = `chat:prompt:${identity.orgId}:${ref}`
    const cached = await this.#o.state.get(key).catch(() => null)
    if (cached !== null) return cached
    let res: Response
    try {
      res = await this.#o.fetch(
        `${this.#o.serviceUrl('admin')}/v1/prompts/${encodeURIComponent(name)}?label=${encodeURIComponent(label)}`,
        { headers: { authorization: `Bearer ${token}` } },
      )
    } catch (err) {
      this.#o.logger.warn({ err, ref }, 'admin did not answer a prompt lookup')
      throw new chatErrors.PromptUnavailable(ref, 'the admin service did not answer')
    }
    const body = (await res.json().catch(() => null)) as {
      template?: unknown
      error?: { code?: unknown }
    } | null
    if (res.status === 200 && typeof body?.template === 'string') {
      await this.#o.state.set(key, body.template, this.#o.cacheTtlMs).catch(() => {})
      return body.template
    }
    // Admin's own 404 names the prompt; the kit's (no such route) means admin is not running here.
    if (res.status === 404 && body?.error?.code !== 'KIT_ERR_NOT_FOUND') {
      throw Object.assign(new chatErrors.PromptNotFound(ref), { param: 'prompt' })
    }
    throw new chatErrors.PromptUnavailable(
      ref,
      res.status === 404
        ? 'the admin service is not part of this deployment'
        : `admin answered ${res.status}`,
    )
  }
}
