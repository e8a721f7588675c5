import { v7 as uuidv7 } from 'uuid'

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** 62^22 > 2^128: every UUID fits in 22 base62 digits. */
const width = 22

/** The public id prefixes, as OpenAI spells them. */
export const idPrefix = { file: 'file-', vectorStore: 'vs_', fileBatch: 'vsfb_' } as const
export type IdKind = keyof typeof idPrefix

/**
 * A new id: the prefix and a UUIDv7 in fixed-width base62. v7 starts with the time in milliseconds
 * and is monotonic within the process, and the alphabet is in byte order, so ids sort by creation
 * under byte-order collation (the tables use COLLATE "C"): list order and cursors need no other column.
 */
export function newId(kind: IdKind): string {
  let value = BigInt(`0x${uuidv7().replaceAll('-', '')}`)
  let digits = ''
  for (let i = 0; i < width; i++) {
    digits = alphabet[Number(value % 62n)] + digits
    value /= 62n
  }
  return idPrefix[kind] + digits
}

/** A schema pattern for an id of `kind`; checks the shape only (an unknown id is still a 404). */
export const idPattern = (kind: IdKind) => `^${idPrefix[kind]}[0-9A-Za-z]{1,64}$`
