import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { CallContext, Embed, RoutableAgent } from './ports.ts'

/** Texts per embeddings request (the router's local provider embeds them one after another). */
const batchSize = 64

/** The texts stage 1 compares a message with: the description, then each example. */
export function textsOf(agent: RoutableAgent): string[] {
  return [agent.description, ...(agent.examples ?? [])].map((text) => text.trim()).filter((t) => t.length > 0)
}

/**
 * The vectors of each agent version's texts, embedded once and kept (never per request). The key
 * is a hash of the model and the texts themselves, so an edited agent is a new entry whatever
 * version scheme the store uses, and two requests arriving together embed once (the promise is
 * cached; a failed one is dropped so the next request tries again).
 */
export class ExampleIndex {
  readonly #embed: Embed
  readonly #model: string
  readonly #cache: LRUCache<string, Promise<number[][]>>
  /** Texts embedded so far (for tests and the bench: proves the cache holds). */
  embedded = 0

  constructor(options: { embed: Embed; model: string; maxAgents: number }) {
    this.#embed = options.embed
    this.#model = options.model
    this.#cache = new LRUCache({ max: options.maxAgents })
  }

  vectorsOf(agent: RoutableAgent, ctx: CallContext): Promise<number[][]> {
    const texts = textsOf(agent)
    const key = createHash('sha256')
      .update(JSON.stringify([this.#model, agent.id, texts]))
      .digest('base64url')
    const cached = this.#cache.get(key)
    if (cached !== undefined) return cached
    // Without the caller's signal: other requests may be waiting on the same vectors.
    const pending = this.#embedAll(texts, { token: ctx.token })
    this.#cache.set(key, pending)
    pending.catch(() => {
      if (this.#cache.get(key) === pending) this.#cache.delete(key)
    })
    return pending
  }

  async #embedAll(texts: string[], ctx: CallContext): Promise<number[][]> {
    const vectors: number[][] = []
    for (let i = 0; i < texts.length; i += batchSize) {
      const batch = texts.slice(i, i + batchSize)
      const got = await this.#embed(batch, ctx)
      if (got.length !== batch.length) throw new Error(`${got.length} embeddings for ${batch.length} texts`)
      vectors.push(...got)
      this.embedded += batch.length
    }
    return vectors
  }
}
