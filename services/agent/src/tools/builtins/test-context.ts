import type { ToolCallContext } from '../tool.ts'

/** A tool call's context for tests: alice of org_a, a token to see forwarded, no deadline. */
export function callContext(signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return {
    identity: { orgId: 'org_a', userId: 'user_alice', keyId: null, scopes: ['llm:use', 'files:read'] },
    token: 'tok-alice',
    signal,
  }
}
