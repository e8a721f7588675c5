import { parse } from 'csv-parse/sync'
import type { ParsedDocument, TextBlock } from './document.ts'
import { invalidFile } from './failure.ts'
import { decodeUtf8 } from './text.ts'

/**
 * CSV through csv-parse, the first row naming the columns: each record is a block of
 * `column: value` lines, so a chunk of records still says what each value is.
 */
export function parseCsv(bytes: Uint8Array): ParsedDocument {
  let records: Record<string, string>[]
  try {
    records = parse(decodeUtf8(bytes, 'CSV'), {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[]
  } catch (error) {
    throw invalidFile('CSV', error)
  }
  let text = ''
  const blocks: TextBlock[] = []
  for (const record of records) {
    const lines = Object.entries(record)
      .filter(([, value]) => value !== '')
      .map(([column, value]) => `${column}: ${value}`)
    if (lines.length === 0) continue
    if (text !== '') text += '\n\n'
    const start = text.length
    text += lines.join('\n')
    blocks.push({ kind: 'text', start, end: text.length })
  }
  return { text, blocks }
}
