import { InvalidObjectKeyError } from './errors.ts'

/** S3's own limit; the folder store lives within it too. */
export const MAX_KEY_BYTES = 1024
/** Below the 255 bytes most filesystems allow a name, leaving room for the folder store's escapes. */
export const MAX_SEGMENT_BYTES = 200

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Throws InvalidObjectKeyError unless `key` is a `/`-separated path of non-empty segments that
 * maps to a file under a folder and to the same S3 key: every store checks keys the same way, so
 * a key that works on a laptop works on S3 and back.
 */
export function assertValidKey(key: string): void {
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'empty')
  assertValidPrefix(key)
  if (key.endsWith('/')) throw new InvalidObjectKeyError(key, 'ends with /')
}

/** A prefix for deletePrefix: a key's start, so it may end in `/` or mid-segment, but not be empty. */
export function assertValidPrefix(prefix: string): void {
  if (prefix.length === 0) throw new InvalidObjectKeyError(prefix, 'empty (it would match every object)')
  if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) {
    throw new InvalidObjectKeyError(prefix, `longer than ${MAX_KEY_BYTES} bytes`)
  }
  if (CONTROL.test(prefix)) throw new InvalidObjectKeyError(prefix, 'contains a control character')
  if (prefix.startsWith('/')) throw new InvalidObjectKeyError(prefix, 'starts with /')
  const segments = prefix.split('/')
  // The last segment of a prefix may be empty (`org_1/`) or partial; the others are whole.
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    if (segment === '' && !last) throw new InvalidObjectKeyError(prefix, 'has an empty segment (//)')
    if ((segment === '.' || segment === '..') && !last) {
      throw new InvalidObjectKeyError(prefix, `has a ${segment} segment`)
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new InvalidObjectKeyError(prefix, `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`)
    }
  })
  const last = segments.at(-1)
  if (last === '.' || last === '..') {
    // `a/..` as a prefix matches `a/...x`, harmless, but as a key it is a path escape: refuse both.
    throw new InvalidObjectKeyError(prefix, `has a ${last} segment`)
  }
}

/**
 * A key (or prefix) as the stores lay it out: `%` and `~` escaped (`%25`, `%7E`) and, for a key,
 * one `~` after it. So key `a` is `a~`, which no key under `a/` runs through: a folder cannot hold
 * file `a` beside folder `a/`, and MinIO lists nothing under `a/` once an object `a` exists. The
 * escape maps each character on its own and none is a prefix of another, so an escaped key starts
 * with an escaped prefix exactly when the key starts with the prefix.
 */
export function escapePath(path: string): string {
  return path.replace(/[%~]/g, (c) => (c === '%' ? '%25' : '%7E'))
}

/** The name a key is stored under: escaped, then `~`. */
export const storedKey = (key: string): string => `${escapePath(key)}~`
