import { type Static, Type } from 'typebox'

/** The supervisor's settings; the agent service's config schema includes these keys. */
export const SupervisorConfig = Type.Object({
  /** Router alias the supervisor embeds agent examples and messages with. */
  AGENT_SUPERVISOR_EMBEDDING_MODEL: Type.String({ minLength: 1, default: 'all-minilm-l6-v2' }),
  /** Router alias of the classifier (stage 2; needs `response_format: json_schema`). */
  AGENT_SUPERVISOR_CLASSIFIER_MODEL: Type.String({ minLength: 1, default: 'local' }),
  /** Stage 1 answers alone when the best agent's similarity (cosine, -1..1) reaches this... */
  AGENT_SUPERVISOR_MIN_SCORE: Type.Number({ minimum: -1, maximum: 1, default: 0.5 }),
  /** ...and leads the runner-up by at least this much. */
  AGENT_SUPERVISOR_MIN_MARGIN: Type.Number({ minimum: 0, maximum: 2, default: 0.05 }),
  /** Best example similarities averaged into an agent's score (its k nearest examples). */
  AGENT_SUPERVISOR_TOP_K: Type.Integer({ minimum: 1, maximum: 50, default: 3 }),
  /** Agents the classifier chooses among: the best by similarity. */
  AGENT_SUPERVISOR_CANDIDATES: Type.Integer({ minimum: 2, maximum: 50, default: 4 }),
  /**
   * Classifier confidence (0..1) needed to overrule the default choice: the thread's agent for a
   * follow-up, stage 1's closest agent otherwise. A small model is often wrong and says so poorly.
   */
  AGENT_SUPERVISOR_OVERRIDE_CONFIDENCE: Type.Number({ minimum: 0, maximum: 1, default: 0.8 }),
  /** Below this similarity of the closest agent, and with no confident classifier, the user is asked. */
  AGENT_SUPERVISOR_CLARIFY_SCORE: Type.Number({ minimum: -1, maximum: 1, default: 0.3 }),
  /** Agent versions whose example vectors are kept in memory. */
  AGENT_SUPERVISOR_CACHE_AGENTS: Type.Integer({ minimum: 1, default: 1000 }),
})
export type SupervisorConfig = Static<typeof SupervisorConfig>
