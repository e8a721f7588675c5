import { createHash } from 'node:crypto'
import { randomBase62 } from '../db/ids.ts'

// An API key reads `sy_<8 base62>_<40 base62>`: the first part is public (shown in lists as the
// key's prefix), the rest is 238 random bits. Only the SHA-256 of the whole key is stored.

const shape = /^sy_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}$/

export interface NewApiKey {
  /** The whole key: returned to the caller once, never stored. */
  secret: string
  /** `sy_<8 base62>`: public, unique. */
  prefix: string
  /** Hex SHA-256 of the whole key. */
  hash: string
}

export function generateApiKey(): NewApiKey {
  const prefix = `sy_${randomBase62(8)}`
  const secret = `${prefix}_${randomBase62(40)}`
  return { secret, prefix, hash: hashApiKey(secret) }
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Cheap check before any query: text that cannot be a key is refused without a lookup. */
export function looksLikeApiKey(text: string): boolean {
  return shape.test(text)
}
