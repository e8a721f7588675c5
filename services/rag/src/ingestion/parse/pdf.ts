import { extractText } from 'unpdf'
import { type ParsedDocument, paragraphBlocks, type TextBlock } from './document.ts'
import { invalidFile } from './failure.ts'

/**
 * PDF text through unpdf (pdf.js), page by page; pages are joined by a blank line and each page's
 * paragraphs are blocks. PDFs carry no reliable heading structure, so there are no headings.
 */
export async function parsePdf(bytes: Uint8Array): Promise<ParsedDocument> {
  let pages: string[]
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    pages = (await extractText(new Uint8Array(bytes), { mergePages: false })).text
  } catch (error) {
    throw invalidFile('PDF', error)
  }
  let text = ''
  const blocks: TextBlock[] = []
  for (const page of pages) {
    if (text !== '') text += '\n\n'
    const from = text.length
    text += page
    blocks.push(...paragraphBlocks(text, from, text.length))
  }
  return { text, blocks }
}
