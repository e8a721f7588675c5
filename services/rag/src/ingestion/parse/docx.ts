import mammoth from 'mammoth'
import type { ParsedDocument } from './document.ts'
import { invalidFile } from './failure.ts'
import { htmlDocument } from './html.ts'

/** Word documents through mammoth, which maps the Heading 1..6 styles to h1..h6, then as HTML. */
export async function parseDocx(bytes: Uint8Array): Promise<ParsedDocument> {
  let html: string
  try {
    html = (
      await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
    ).value
  } catch (error) {
    throw invalidFile('docx', error)
  }
  return htmlDocument(html, 'docx')
}
