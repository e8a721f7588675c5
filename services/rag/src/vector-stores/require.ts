import type { Caller } from '../access.ts'
import type { Queryable } from '../db.ts'
import { ragErrors } from '../errors.ts'
import { type VectorStoreRow, type VectorStoreState, vectorStoresRepository } from './repository.ts'

export const vectorStoreNotFound = (id: string) =>
  Object.assign(new ragErrors.VectorStoreNotFound(id), { param: 'vector_store_id' })

/** The store with its counts, or a 404 when it is not the caller's to see (another org, not on its list). */
export async function requireStore(db: Queryable, caller: Caller, id: string): Promise<VectorStoreState> {
  const store = await vectorStoresRepository.find(db, caller, id)
  if (store === null) throw vectorStoreNotFound(id)
  return store
}

/** The same, locked for the rest of the transaction (see vectorStoresRepository.lock). */
export async function lockStore(
  db: Queryable,
  caller: Caller,
  id: string,
  mode: 'share' | 'update',
): Promise<VectorStoreRow> {
  const store = await vectorStoresRepository.lock(db, caller, id, mode)
  if (store === null) throw vectorStoreNotFound(id)
  return store
}
