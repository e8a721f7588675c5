import { createServiceError } from '@switchyard/kit'

// Admin's stable error codes. Another org's resource is "not found", never "forbidden": a caller
// must not learn that an id exists elsewhere.
export const adminErrors = {
  NotFound: createServiceError<'ADMIN_ERR_NOT_FOUND', [string, string]>(
    'ADMIN_ERR_NOT_FOUND',
    '%s %s not found',
    404,
  ),
  /** The caller is not a member of the org their token names (or it was deleted). */
  NotAMember: createServiceError('ADMIN_ERR_NOT_A_MEMBER', 'You are not a member of this organization', 403),
  /** The caller's role in the org is below what the route needs. */
  Forbidden: createServiceError<'ADMIN_ERR_FORBIDDEN', [string]>('ADMIN_ERR_FORBIDDEN', '%s', 403),
  /** The API key the caller used lacks the scope this route needs. */
  MissingScope: createServiceError<'ADMIN_ERR_MISSING_SCOPE', [string]>(
    'ADMIN_ERR_MISSING_SCOPE',
    'These credentials lack the %s scope',
    403,
  ),
  Conflict: createServiceError<'ADMIN_ERR_CONFLICT', [string]>('ADMIN_ERR_CONFLICT', '%s', 409),
  /** A request that passed its schema but breaks a rule (a placeholder not declared, a date past). */
  InvalidRequest: createServiceError<'ADMIN_ERR_INVALID_REQUEST', [string]>(
    'ADMIN_ERR_INVALID_REQUEST',
    '%s',
    400,
  ),
  /** Resolve: the key is unknown, revoked, expired, past its rotation grace, or its org or user is gone. */
  InvalidApiKey: createServiceError('ADMIN_ERR_INVALID_API_KEY', 'Invalid API key', 401),
  BootstrapRefused: createServiceError<'ADMIN_ERR_BOOTSTRAP_REFUSED', [string]>(
    'ADMIN_ERR_BOOTSTRAP_REFUSED',
    'Bootstrap refused: %s',
    409,
  ),
  /** The plugin was given a SQL port it cannot run transactions on. */
  NoTransactions: createServiceError(
    'ADMIN_ERR_NO_TRANSACTIONS',
    'admin needs a SQL pool with connect() (pg.Pool) to run transactions',
    500,
  ),
}

export type AdminErrorCode = InstanceType<(typeof adminErrors)[keyof typeof adminErrors]>['code']
