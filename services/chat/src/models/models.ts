import type { LlmRouterClient } from '@switchyard/contracts'
import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { ChatConfig } from '../config.ts'
import { chatErrors } from '../errors.ts'

/** An alias chat may use, and how much of its window a prompt may take. */
export interface ModelLimits {
  alias: string
  contextWindow: number
  /** Tokens kept for the answer (sent as `max_tokens`). */
  maxOutputTokens: number
  /** Tokens the prompt may use: the window minus the answer's share. */
  promptBudget: number
}

export interface ModelCatalogOptions {
  config: ChatConfig
  state: SharedState
  router: LlmRouterClient
  logger: Logger
}

/**
 * Which aliases exist: CHAT_MODELS first (which also sizes their windows), else the llm-router's
 * `GET /v1/models/{alias}`, asked with the caller's token and its answer cached for a while.
 */
export class ModelCatalog {
  readonly #o: ModelCatalogOptions

  constructor(options: ModelCatalogOptions) {
    this.#o = options
  }

  /** @throws CHAT_ERR_UNKNOWN_MODEL, CHAT_ERR_MODELS_UNAVAILABLE, CHAT_ERR_ROUTER_TIMEOUT */
  async require(alias: string, token: string): Promise<ModelLimits> {
    const { config } = this.#o
    const described = config.CHAT_MODELS[alias]
    if (described === undefined && !(await this.#routerKnows(alias, token))) {
      throw Object.assign(new chatErrors.UnknownModel(alias), { param: 'model' })
    }
    const contextWindow = described?.contextWindow ?? config.CHAT_DEFAULT_CONTEXT_WINDOW
    const maxOutputTokens = Math.min(
      described?.maxOutputTokens ?? Math.min(4096, Math.floor(contextWindow / 4)),
      contextWindow - 1,
    )
    return { alias, contextWindow, maxOutputTokens, promptBudget: contextWindow - maxOutputTokens }
  }

  async #routerKnows(alias: string, token: string): Promise<boolean> {
    const key = `chat:model:${alias}`
    const cached = await this.#o.state.values.get(key).catch(() => null)
    if (cached !== null) return cached === '1'
    let status: number
    const timeoutMs = this.#o.config.CHAT_ROUTER_TIMEOUT_MS
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      status = (await this.#o.router.getModel(alias, { token, signal })).status
    } catch (err) {
      this.#o.logger.warn({ err, alias }, 'llm-router did not answer a model check')
      // A router that never answers is a 504 after the timeout, not a request hanging with it.
      if (signal.aborted) throw new chatErrors.RouterTimeout(timeoutMs)
      throw new chatErrors.ModelsUnavailable(alias)
    }
    // The router answers 404 for an alias it does not list; anything else but 200 is its trouble.
    if (status !== 200 && status !== 404) throw new chatErrors.ModelsUnavailable(alias)
    const known = status === 200
    await this.#o.state.values
      .set(key, known ? '1' : '0', this.#o.config.CHAT_LOOKUP_CACHE_TTL_MS)
      .catch(() => {})
    return known
  }
}
