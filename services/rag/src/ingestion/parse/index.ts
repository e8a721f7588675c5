import { extname } from 'node:path'
import { parseCsv } from './csv.ts'
import type { DocumentType, ParsedDocument } from './document.ts'
import { parseDocx } from './docx.ts'
import { ParseFailure } from './failure.ts'
import { parseHtml } from './html.ts'
import { parseJson } from './json.ts'
import { parseMd } from './md.ts'
import { parsePdf } from './pdf.ts'
import { parseTxt } from './txt.ts'

export type { Block, DocumentType, ParsedDocument } from './document.ts'
export { documentTypes } from './document.ts'
export { ParseFailure } from './failure.ts'

/** One parser per type: a new format is one file and one line here. */
const parsers: Record<DocumentType, (bytes: Uint8Array) => ParsedDocument | Promise<ParsedDocument>> = {
  txt: parseTxt,
  md: parseMd,
  html: parseHtml,
  pdf: parsePdf,
  docx: parseDocx,
  json: parseJson,
  csv: parseCsv,
}

const byExtension: Record<string, DocumentType> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.json': 'json',
  '.csv': 'csv',
}

const byMediaType: Record<string, DocumentType> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/html': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/json': 'json',
  'text/csv': 'csv',
}

/**
 * The type of an upload, from its file name's extension (what OpenAI goes by), else its media type;
 * anything else is an `unsupported_file` failure naming what it saw.
 */
export function documentType(filename: string, mediaType?: string | null): DocumentType {
  const extension = extname(filename).toLowerCase()
  const fromName = byExtension[extension]
  if (fromName !== undefined) return fromName
  const media = mediaType?.split(';')[0]?.trim().toLowerCase()
  const fromMedia = media === undefined ? undefined : byMediaType[media]
  if (fromMedia !== undefined) return fromMedia
  const seen = [extension === '' ? 'no extension' : `extension ${extension}`, media && `media type ${media}`]
  throw new ParseFailure(
    'unsupported_file',
    `unsupported file type (${seen.filter(Boolean).join(', ')}); supported: ${Object.keys(byExtension).join(', ')}`,
  )
}

/** Parses an original into text and structure; an empty or unreadable file is a ParseFailure. */
export async function parseDocument(bytes: Uint8Array, type: DocumentType): Promise<ParsedDocument> {
  if (bytes.byteLength === 0) throw new ParseFailure('invalid_file', 'the file is empty')
  const doc = await parsers[type](bytes)
  if (!doc.blocks.some((block) => block.kind === 'text'))
    throw new ParseFailure(
      'invalid_file',
      type === 'pdf'
        ? 'the PDF has no text layer (a scanned PDF needs OCR first)'
        : `the ${type} file has no text`,
    )
  return doc
}
