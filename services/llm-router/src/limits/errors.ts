import { createServiceError } from '@switchyard/kit'

// The caller's own limits: 429s whose message names the limit and the scope, with Retry-After in
// the error's headers (absent when no wait can help: the request alone is over the limit).
// LLM_ROUTER_ERR_RATE_LIMITED is shared with the upstream-limited case in src/errors.ts; the
// message tells them apart.
export const limitErrors = {
  RateLimited: createServiceError<'LLM_ROUTER_ERR_RATE_LIMITED', [string]>(
    'LLM_ROUTER_ERR_RATE_LIMITED',
    '%s',
    429,
    { type: 'rate_limit_error' },
  ),
  BudgetExceeded: createServiceError<'LLM_ROUTER_ERR_BUDGET_EXCEEDED', [string]>(
    'LLM_ROUTER_ERR_BUDGET_EXCEEDED',
    '%s',
    429,
    { type: 'rate_limit_error' },
  ),
}
