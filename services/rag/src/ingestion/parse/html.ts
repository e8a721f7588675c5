import { convert, type FormatCallback, type HtmlToTextOptions } from 'html-to-text'
import type { ParsedDocument } from './document.ts'
import { invalidFile } from './failure.ts'
import { markdownDocument } from './md.ts'
import { decodeUtf8 } from './text.ts'

/**
 * h1..h6 written as markdown headings (`## Title` on its own line): the text keeps its structure in
 * a form markdown.ts reads back into heading blocks, instead of html-to-text's upper-cased titles.
 */
const heading =
  (level: number): FormatCallback =>
  (elem, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 })
    builder.addLiteral(`${'#'.repeat(level)} `)
    walk(elem.children, builder)
    builder.closeBlock({ trailingLineBreaks: 2 })
  }

const options: HtmlToTextOptions = {
  wordwrap: false,
  formatters: Object.fromEntries([1, 2, 3, 4, 5, 6].map((level) => [`h${level}`, heading(level)])),
  selectors: [
    ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: `h${level}` })),
    // Links and images as their text only: a URL in every chunk is noise to the embedding.
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
  ],
}

/** HTML through html-to-text (tables, lists, entities, whitespace as a browser would), headings kept. */
export function parseHtml(bytes: Uint8Array): ParsedDocument {
  return htmlDocument(decodeUtf8(bytes, 'HTML'), 'HTML')
}

/** The document of an HTML string; `format` names the original in errors (docx arrives as HTML). */
export function htmlDocument(html: string, format: string): ParsedDocument {
  let text: string
  try {
    text = convert(html, options)
  } catch (error) {
    throw invalidFile(format, error)
  }
  return markdownDocument(text)
}
