import { fromMarkdown } from 'mdast-util-from-markdown'
import { toString as plainText } from 'mdast-util-to-string'
import type { Block, ParsedDocument } from './document.ts'

type Root = ReturnType<typeof fromMarkdown>
type RootContent = Root['children'][number]

import { decodeUtf8 } from './text.ts'

/**
 * Markdown through its AST (mdast): headings open sections, every other top-level node (paragraph,
 * list, code, table, quote) is a block. Offsets point into the markdown source, which is the text.
 */
export function parseMd(bytes: Uint8Array): ParsedDocument {
  return markdownDocument(decodeUtf8(bytes, 'markdown'))
}

/** The blocks of a markdown text (also the structure of the markdown-headed text html.ts writes). */
export function markdownDocument(text: string): ParsedDocument {
  const root: Root = fromMarkdown(text)
  const blocks: Block[] = []
  for (const node of root.children) {
    const start = node.position?.start.offset
    const end = node.position?.end.offset
    if (start === undefined || end === undefined || end <= start) continue
    if (node.type === 'heading')
      blocks.push({ kind: 'heading', level: node.depth, title: title(node), start, end })
    else if (!invisible(node)) blocks.push({ kind: 'text', start, end })
  }
  return { text, blocks }
}

function title(node: RootContent): string {
  return plainText(node).replace(/\s+/g, ' ').trim()
}

/** Nodes with nothing a reader sees: link definitions, HTML comments. */
function invisible(node: RootContent): boolean {
  return node.type === 'definition' || (node.type === 'html' && node.value.trimStart().startsWith('<!--'))
}
