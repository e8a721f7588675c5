/**
 * What every parser returns: one text, and its structure as spans of that text. Chunks are cut
 * from `text` and keep their offsets into it, so a citation's offsets find its quote there.
 *
 * For txt and md, `text` is the original file (offsets point into the upload itself); for the
 * other formats it is the text extracted from them (pdf, docx, html) or a rendering of their
 * records (json, csv).
 */
export interface ParsedDocument {
  text: string
  /** In reading order; spans do not overlap. */
  blocks: Block[]
}

export type Block = HeadingBlock | TextBlock

/** A heading: it opens a section at `level` (1 = top) until a heading of the same or a higher level. */
export interface HeadingBlock {
  kind: 'heading'
  level: number
  /** The heading's text, without markup, as it appears in chunks' heading paths. */
  title: string
  /** UTF-16 offsets into the document's text, end exclusive. */
  start: number
  end: number
}

/** A paragraph, list, table, record...: text that is cut into chunks at sentence boundaries. */
export interface TextBlock {
  kind: 'text'
  start: number
  end: number
}

/** The file types the parsers read. */
export const documentTypes = ['txt', 'md', 'html', 'pdf', 'docx', 'json', 'csv'] as const
export type DocumentType = (typeof documentTypes)[number]

/**
 * Text blocks of `text` between `from` and `to`, one per paragraph (runs of lines separated by a
 * blank line), trimmed of surrounding whitespace. Used by the formats whose structure is
 * paragraphs only (plain text, PDF pages).
 */
export function paragraphBlocks(text: string, from = 0, to = text.length): TextBlock[] {
  const blocks: TextBlock[] = []
  const separator = /\n[ \t\f\v\r]*\n\s*/g
  separator.lastIndex = from
  let start = from
  for (;;) {
    const match = separator.exec(text)
    const end = match === null || match.index >= to ? to : match.index
    pushTrimmed(blocks, text, start, end)
    if (match === null || match.index >= to) break
    start = match.index + match[0].length
  }
  return blocks
}

/** Adds a text block for `text[start, end)` without its leading and trailing whitespace, if any is left. */
export function pushTrimmed(blocks: TextBlock[], text: string, start: number, end: number): void {
  let s = start
  let e = end
  while (s < e && /\s/.test(text[s] as string)) s++
  while (e > s && /\s/.test(text[e - 1] as string)) e--
  if (e > s) blocks.push({ kind: 'text', start: s, end: e })
}
