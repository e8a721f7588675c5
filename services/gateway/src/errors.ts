import { createServiceError } from '@switchyard/kit'

export const gatewayErrors = {
  Unauthenticated: createServiceError<'GATEWAY_ERR_UNAUTHENTICATED', [string]>(
    'GATEWAY_ERR_UNAUTHENTICATED',
    '%s',
    401,
  ),
  NoOrg: createServiceError<'GATEWAY_ERR_NO_ORG', [string]>(
    'GATEWAY_ERR_NO_ORG',
    'The token carries no organization (claim %s)',
    403,
  ),
  /** A valid OIDC token whose subject is not (or no longer) a member of the org it names. */
  NotAMember: createServiceError<'GATEWAY_ERR_NOT_A_MEMBER', []>(
    'GATEWAY_ERR_NOT_A_MEMBER',
    'You are not a member of this organization',
    403,
  ),
  /** A path with a `.` or `..` segment, however encoded: refused before it is routed. */
  InvalidPath: createServiceError<'GATEWAY_ERR_INVALID_PATH', []>(
    'GATEWAY_ERR_INVALID_PATH',
    'The request path has a "." or ".." segment (raw or encoded); send the path it stands for',
    400,
  ),
  RateLimited: createServiceError<'GATEWAY_ERR_RATE_LIMITED', [string, number]>(
    'GATEWAY_ERR_RATE_LIMITED',
    'Rate limit of this %s exceeded; retry in %d s',
    429,
  ),
  /** Too many failed or unauthenticated requests from one address. */
  AuthFailures: createServiceError<'GATEWAY_ERR_AUTH_FAILURES', [number]>(
    'GATEWAY_ERR_AUTH_FAILURES',
    'Too many failed or unauthenticated requests from this address; retry in %d s',
    429,
  ),
  /** More API keys are being looked up than GATEWAY_KEY_LOOKUPS_IN_FLIGHT allows. */
  AuthBusy: createServiceError<'GATEWAY_ERR_AUTH_BUSY', []>(
    'GATEWAY_ERR_AUTH_BUSY',
    'Too many credentials are being checked at once; retry in a second',
    503,
  ),
  /** The service a route belongs to does not run or cannot be reached. */
  ServiceUnavailable: createServiceError<'GATEWAY_ERR_SERVICE_UNAVAILABLE', [string, { cause: unknown }?]>(
    'GATEWAY_ERR_SERVICE_UNAVAILABLE',
    'Service %s is unavailable',
    503,
  ),
  /** Admin (key resolution) or the OIDC issuer cannot be reached: the caller could not be checked. */
  AuthUnavailable: createServiceError<'GATEWAY_ERR_AUTH_UNAVAILABLE', [string, { cause: unknown }?]>(
    'GATEWAY_ERR_AUTH_UNAVAILABLE',
    'Credentials cannot be checked now: %s',
    503,
  ),
  UpstreamTimeout: createServiceError<'GATEWAY_ERR_UPSTREAM_TIMEOUT', [string]>(
    'GATEWAY_ERR_UPSTREAM_TIMEOUT',
    'Service %s did not answer in time',
    504,
  ),
  Upstream: createServiceError<'GATEWAY_ERR_UPSTREAM', [string, { cause: unknown }?]>(
    'GATEWAY_ERR_UPSTREAM',
    'Service %s failed to answer',
    502,
  ),
}
