import { type ParsedDocument, paragraphBlocks } from './document.ts'
import { decodeUtf8 } from './text.ts'

/** Plain text: the file itself, one block per paragraph (a blank line between). */
export function parseTxt(bytes: Uint8Array): ParsedDocument {
  const text = decodeUtf8(bytes, 'text')
  return { text, blocks: paragraphBlocks(text) }
}
