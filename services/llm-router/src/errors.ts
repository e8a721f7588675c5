import { createServiceError } from '@switchyard/kit'

// The llm-router's stable error codes. 5xx answers show the code but never the message (the kit's
// handler hides it); 4xx messages reach the caller.
export const llmRouterErrors = {
  ModelNotFound: createServiceError<'LLM_ROUTER_ERR_MODEL_NOT_FOUND', [string]>(
    'LLM_ROUTER_ERR_MODEL_NOT_FOUND',
    'The model `%s` does not exist or you do not have access to it.',
    404,
  ),
  Unsupported: createServiceError<'LLM_ROUTER_ERR_UNSUPPORTED', [string]>(
    'LLM_ROUTER_ERR_UNSUPPORTED',
    '%s',
    400,
  ),
  /** The upstream rejected the request (a 4xx other than 429): its message is passed on. */
  UpstreamBadRequest: createServiceError<'LLM_ROUTER_ERR_UPSTREAM_BAD_REQUEST', [string]>(
    'LLM_ROUTER_ERR_UPSTREAM_BAD_REQUEST',
    '%s',
    400,
  ),
  ContextLengthExceeded: createServiceError<'LLM_ROUTER_ERR_CONTEXT_LENGTH_EXCEEDED', [string]>(
    'LLM_ROUTER_ERR_CONTEXT_LENGTH_EXCEEDED',
    '%s',
    400,
  ),
  /** Every deployment that could serve is held by its upstream's rate limit. */
  RateLimited: createServiceError(
    'LLM_ROUTER_ERR_RATE_LIMITED',
    'The model is rate limited upstream; retry later.',
    429,
  ),
  /** No deployment could be tried: all cooling down or saturated. */
  Unavailable: createServiceError(
    'LLM_ROUTER_ERR_UNAVAILABLE',
    'No deployment of the model is available',
    503,
  ),
  /**
   * The upstream refused the deployment (401, 403, 404: its key or model name is wrong) on the last
   * attempt: an operator's matter; the upstream's message is logged, not shown.
   */
  UpstreamRefused: createServiceError(
    'LLM_ROUTER_ERR_UPSTREAM_REFUSED',
    'The upstream model server refused the deployment',
    502,
  ),
  /** Upstream answered 5xx, or broke the response, on every attempt. */
  UpstreamError: createServiceError('LLM_ROUTER_ERR_UPSTREAM', 'The upstream model server failed', 502),
  /** No first token, a silence between tokens, or the whole call took too long, on every attempt. */
  UpstreamTimeout: createServiceError(
    'LLM_ROUTER_ERR_UPSTREAM_TIMEOUT',
    'The upstream model server timed out',
    504,
  ),
  /**
   * Admin's catalog and budgets (admin.config.v1) are not read to the end yet, just after a start:
   * answered with Retry-After.
   */
  ConfigLoading: createServiceError(
    'LLM_ROUTER_ERR_CONFIG_LOADING',
    "The router is loading admin's configuration; retry shortly.",
    503,
  ),
  /** A stream that had started failed; sent in-band as the last event. */
  StreamInterrupted: createServiceError(
    'LLM_ROUTER_ERR_STREAM_INTERRUPTED',
    'The upstream stream failed after it had started',
    502,
  ),
}
