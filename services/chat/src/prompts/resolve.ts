import {
  type AdminClient,
  adminErrorCodes,
  type Identity,
  labelNamePattern,
  promptNamePattern,
} from '@switchyard/contracts'
import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import { chatErrors } from '../errors.ts'

/** `name@label`, with admin's rules for both parts. */
const PROMPT_REF = new RegExp(`^(${promptNamePattern})@(${labelNamePattern})$`)

export function parsePromptRef(ref: string): { name: string; label: string } {
  const match = PROMPT_REF.exec(ref)
  if (!match) throw Object.assign(new chatErrors.BadPromptRef(ref), { param: 'prompt' })
  return { name: match[1] as string, label: match[2] as string }
}

export interface PromptResolverOptions {
  state: SharedState
  admin: AdminClient
  logger: Logger
  /** How long a resolved template is reused, ms: a moved label shows after at most this. */
  cacheTtlMs: number
  /** Longest wait for admin's answer, ms. */
  timeoutMs: number
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

  /** @throws CHAT_ERR_BAD_PROMPT_REF, CHAT_ERR_PROMPT_NOT_FOUND, CHAT_ERR_PROMPT_UNAVAILABLE, CHAT_ERR_ADMIN_TIMEOUT */
  async resolve(ref: string, identity: Identity, token: string): Promise<string> {
    const { name, label } = parsePromptRef(ref)
    const key = `chat:prompt:${identity.orgId}:${ref}`
    const cached = await this.#o.state.values.get(key).catch(() => null)
    if (cached !== null) return cached
    let answer: Awaited<ReturnType<AdminClient['resolvePrompt']>>
    const signal = AbortSignal.timeout(this.#o.timeoutMs)
    try {
      answer = await this.#o.admin.resolvePrompt(name, { label }, { token, signal })
    } catch (err) {
      this.#o.logger.warn({ err, ref }, 'admin did not answer a prompt lookup')
      if (signal.aborted) throw new chatErrors.AdminTimeout(this.#o.timeoutMs)
      throw new chatErrors.PromptUnavailable(ref, 'the admin service did not answer')
    }
    if (answer.ok) {
      await this.#o.state.values.set(key, answer.body.template, this.#o.cacheTtlMs).catch(() => {})
      return answer.body.template
    }
    // Admin's own 404 names the prompt; any other 404 (the kit's: no such route) means the service
    // that answered is not admin.
    if (answer.error?.code === adminErrorCodes.NotFound) {
      throw Object.assign(new chatErrors.PromptNotFound(ref), { param: 'prompt' })
    }
    throw new chatErrors.PromptUnavailable(
      ref,
      answer.status === 404
        ? 'the admin service is not part of this deployment'
        : `admin answered ${answer.status}`,
    )
  }
}
