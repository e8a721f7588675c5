/** admin's error codes: admin declares its errors with these, and its callers compare against them. */
export const adminErrorCodes = {
  NotFound: 'ADMIN_ERR_NOT_FOUND',
  NotAMember: 'ADMIN_ERR_NOT_A_MEMBER',
  Forbidden: 'ADMIN_ERR_FORBIDDEN',
  MissingScope: 'ADMIN_ERR_MISSING_SCOPE',
  Conflict: 'ADMIN_ERR_CONFLICT',
  InvalidRequest: 'ADMIN_ERR_INVALID_REQUEST',
  InvalidApiKey: 'ADMIN_ERR_INVALID_API_KEY',
  BootstrapRefused: 'ADMIN_ERR_BOOTSTRAP_REFUSED',
  NoTransactions: 'ADMIN_ERR_NO_TRANSACTIONS',
} as const
