import type { Readable } from 'node:stream'

/** What a caller may say about a body it stores. */
export interface PutOptions {
  /** MIME type kept with the object where the backend keeps one (S3); informational only. */
  contentType?: string
  /**
   * Bytes the body will deliver. When given, a body that delivers another count is refused and
   * nothing is stored (a truncated upload never replaces a whole object).
   */
  contentLength?: number
}

/**
 * Whole objects (uploaded originals, exports) under string keys, on a folder or an S3 bucket.
 *
 * Keys are `/`-separated paths of non-empty segments (`org_1/file_2`), checked by
 * `assertValidKey`: no `.` or `..` segment, no leading or doubled `/`, no control characters,
 * at most 1,024 bytes. A put is atomic: a reader sees the old object or the new one, never part.
 */
export interface ObjectStore {
  /** Stores the body under `key`, replacing what was there once the whole body is in. */
  put(key: string, body: Uint8Array | Readable, options?: PutOptions): Promise<void>
  /** The object's bytes as a stream. Throws ObjectNotFoundError when there is none. */
  get(key: string): Promise<Readable>
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>
  /**
   * Removes every object whose key starts with `prefix` (a plain string prefix, as S3 lists;
   * never empty) and answers how many there were.
   */
  deletePrefix(prefix: string): Promise<number>
}

/** An ObjectStore as the runtime holds it: with a readiness check and an end. */
export interface OwnedObjectStore extends ObjectStore {
  /** True when the backend answers (the folder is writable, the bucket reachable). */
  ping(): Promise<boolean>
  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>
}
