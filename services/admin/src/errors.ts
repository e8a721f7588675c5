import { adminErrorCodes } from '@switchyard/contracts'
import { createServiceError } from '@switchyard/kit'

// Admin's stable error codes. Another org's resource is "not found", never "forbidden": a caller
// must not learn that an id exists elsewhere.
export const adminErrors = {
  NotFound: createServiceError<typeof adminErrorCodes.NotFound, [string, string]>(
    adminErrorCodes.NotFound,
    '%s %s not found',
    404,
  ),
  /** The caller is not a member of the org their token names (or it was deleted). */
  NotAMember: createServiceError(
    adminErrorCodes.NotAMember,
    'You are not a member of this organization',
    403,
  ),
  /** The caller's role in the org is below what the route needs. */
  Forbidden: createServiceError<typeof adminErrorCodes.Forbidden, [string]>(
    adminErrorCodes.Forbidden,
    '%s',
    403,
  ),
  /** The API key the caller used lacks the scope this route needs. */
  MissingScope: createServiceError<typeof adminErrorCodes.MissingScope, [string]>(
    adminErrorCodes.MissingScope,
    'These credentials lack the %s scope',
    403,
  ),
  Conflict: createServiceError<typeof adminErrorCodes.Conflict, [string]>(
    adminErrorCodes.Conflict,
    '%s',
    409,
  ),
  /** A request that passed its schema but breaks a rule (a placeholder not declared, a date past). */
  InvalidRequest: createServiceError<typeof adminErrorCodes.InvalidRequest, [string]>(
    adminErrorCodes.InvalidRequest,
    '%s',
    400,
  ),
  /** Resolve: the key is unknown, revoked, expired, past its rotation grace, or its org or user is gone. */
  InvalidApiKey: createServiceError(adminErrorCodes.InvalidApiKey, 'Invalid API key', 401),
  BootstrapRefused: createServiceError<typeof adminErrorCodes.BootstrapRefused, [string]>(
    adminErrorCodes.BootstrapRefused,
    'Bootstrap refused: %s',
    409,
  ),
  /** The plugin was given a SQL port it cannot run transactions on. */
  NoTransactions: createServiceError(
    adminErrorCodes.NoTransactions,
    'admin needs a SQL pool with connect() (pg.Pool) to run transactions',
    500,
  ),
}

export type AdminErrorCode = InstanceType<(typeof adminErrors)[keyof typeof adminErrors]>['code']
