import type { Block, ParsedDocument } from './document.ts'
import { invalidFile } from './failure.ts'
import { decodeUtf8 } from './text.ts'

/**
 * JSON, pretty-printed so that sentences and words exist to cut at: an object's top-level keys are
 * headings over their values, an array's elements are blocks, anything else is one block.
 */
export function parseJson(bytes: Uint8Array): ParsedDocument {
  let value: unknown
  try {
    value = JSON.parse(decodeUtf8(bytes, 'JSON'))
  } catch (error) {
    throw invalidFile('JSON', error)
  }
  let text = ''
  const blocks: Block[] = []
  const add = (piece: string, block: (start: number, end: number) => Block): void => {
    if (text !== '') text += '\n\n'
    blocks.push(block(text.length, text.length + piece.length))
    text += piece
  }
  const body = (piece: string): void => add(piece, (start, end) => ({ kind: 'text', start, end }))
  if (Array.isArray(value)) for (const element of value) body(render(element))
  else if (value !== null && typeof value === 'object')
    for (const [key, element] of Object.entries(value)) {
      add(key, (start, end) => ({ kind: 'heading', level: 1, title: key, start, end }))
      body(render(element))
    }
  else body(render(value))
  return { text, blocks }
}

/** Strings as themselves (no quotes, no escapes); everything else as indented JSON. */
function render(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}
