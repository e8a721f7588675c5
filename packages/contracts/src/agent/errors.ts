/** agent's error codes its callers act on: agent declares its errors with these. */
export const agentErrorCodes = {
  /** No agent of that id or name in the caller's org (another org's is none). */
  AgentNotFound: 'AGENT_ERR_AGENT_NOT_FOUND',
  /** No run of that id in the caller's org: also a `thread_id` that retention deleted. */
  RunNotFound: 'AGENT_ERR_RUN_NOT_FOUND',
  /** `POST /v1/runs` in an org with no agent for the supervisor to choose. */
  NoAgent: 'AGENT_ERR_NO_AGENT',
} as const
