import { randomBytes } from 'node:crypto'

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** `length` characters of base62, each uniformly random (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would favour the first characters.
      if (byte < 248) out += alphabet[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

/** A resource id: `<kind>_<20 base62>` (119 random bits), e.g. `key_7Gq...`. */
export function newId(kind: 'org' | 'user' | 'key' | 'budget' | 'prompt'): string {
  return `${kind}_${randomBase62(20)}`
}
