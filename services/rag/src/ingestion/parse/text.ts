import { invalidFile } from './failure.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The bytes as UTF-8 text (a BOM dropped); anything else is not a text file. */
export function decodeUtf8(bytes: Uint8Array, format: string): string {
  try {
    return utf8.decode(bytes)
  } catch (error) {
    throw invalidFile(format, new Error('it is not UTF-8 text', { cause: error }))
  }
}
