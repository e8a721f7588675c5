// Stage 1's arithmetic, pure: how close a message is to each agent, from the vectors of the
// agent's description and example utterances.

/** An agent's score for one message. */
export interface AgentScore {
  agentId: string
  /** Mean cosine similarity of the agent's k nearest texts (-1..1). */
  score: number
}

/** Cosine similarity; the router's vectors are L2-normalized, but a caller's may not be. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`vectors of ${a.length} and ${b.length} dimensions`)
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * The mean of the `k` largest similarities between `query` and `vectors` (fewer when the agent has
 * fewer texts). The k nearest rather than the single nearest: one stray example that happens to
 * share words with the message should not decide alone, and a centroid would blur an agent whose
 * examples cover several intents.
 */
export function agentScore(
  query: readonly number[],
  vectors: readonly (readonly number[])[],
  k: number,
): number {
  if (vectors.length === 0) return Number.NEGATIVE_INFINITY
  const sims = vectors.map((vector) => cosine(query, vector)).sort((x, y) => y - x)
  const top = sims.slice(0, Math.max(1, k))
  return top.reduce((sum, s) => sum + s, 0) / top.length
}

/** Indexes of the `n` texts nearest to `query`, nearest first. */
export function nearest(
  query: readonly number[],
  vectors: readonly (readonly number[])[],
  n: number,
): number[] {
  return vectors
    .map((vector, i) => ({ i, sim: cosine(query, vector) }))
    .sort((a, b) => b.sim - a.sim || a.i - b.i)
    .slice(0, n)
    .map(({ i }) => i)
}

/** Every agent's score, best first (ties by id, so the order is stable). */
export function rankAgents(
  query: readonly number[],
  agents: readonly { agentId: string; vectors: readonly (readonly number[])[] }[],
  k: number,
): AgentScore[] {
  return agents
    .map(({ agentId, vectors }) => ({ agentId, score: agentScore(query, vectors, k) }))
    .sort((a, b) => b.score - a.score || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
}

/** The best score's lead over the runner-up (the whole score when there is one agent). */
export function margin(ranked: readonly AgentScore[]): number {
  const [first, second] = ranked
  if (first === undefined) return 0
  return second === undefined ? Math.max(0, first.score) : first.score - second.score
}
