import { errors, types } from 'cassandra-driver'
import { chatErrors } from '../errors.ts'

/**
 * A driver error that means "not enough replicas now", as the caller's 503: too few live replicas
 * for the consistency level (the coordinator's Unavailable), or no coordinator at all (the
 * driver's NoHostAvailable, which is also what an Unavailable becomes once the retry policy has
 * tried the next host). Anything else passes through, and stays a 500.
 */
export function storeErrorOf(error: unknown): unknown {
  if (
    (error instanceof errors.ResponseError && error.code === types.responseErrorCodes.unavailableException) ||
    error instanceof errors.NoHostAvailableError
  ) {
    return Object.assign(new chatErrors.StoreUnavailable(), { cause: error })
  }
  return error
}
