import { expect, test } from 'vitest'
import type { ParsedDocument } from './document.ts'
import { tinyDocx, tinyPdf } from './fixtures.ts'
import { documentType, ParseFailure, parseDocument } from './index.ts'

const utf8 = (text: string) => new TextEncoder().encode(text)

/** The document as a reader sees it: headings with their level, and each text block's text. */
function outline(doc: ParsedDocument): string[] {
  return doc.blocks.map((b) =>
    b.kind === 'heading' ? `h${b.level} ${b.title}` : doc.text.slice(b.start, b.end).replace(/\s+/g, ' '),
  )
}

async function failure(promise: Promise<unknown>): Promise<ParseFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ParseFailure)
  return error as ParseFailure
}

test('txt: the file itself, a block per paragraph, offsets into it', async () => {
  const text = 'First paragraph,\nstill first.\n\n  Second one.  \n\n\n'
  const doc = await parseDocument(utf8(text), 'txt')
  expect(doc.text).toBe(text)
  expect(outline(doc)).toEqual(['First paragraph, still first.', 'Second one.'])
})

test('md: headings from the AST (not lines that look like them), offsets into the source', async () => {
  const md =
    '# Title\n\nIntro *text*.\n\n## Part two\n\n```\n# not a heading\n```\n\n- a\n- b\n\nSetext\n------\n\nEnd.\n'
  const doc = await parseDocument(utf8(md), 'md')
  expect(doc.text).toBe(md)
  expect(outline(doc)).toEqual([
    'h1 Title',
    'Intro *text*.',
    'h2 Part two',
    '``` # not a heading ```',
    '- a - b',
    'h2 Setext',
    'End.',
  ])
})

test('html: text as a browser shows it, h1..h6 as headings, scripts and entities handled', async () => {
  const html = `<!doctype html><html><head><title>t</title><style>p{}</style><script>var x = 1</script></head>
    <body><nav>Home | About</nav><h1>Guide &amp; notes</h1><p>First <b>bold</b> para<br>with a break.</p>
    <h2>Setup</h2><ul><li>one</li><li>two</li></ul><p>See <a href="https://x.test/y">the docs</a>.</p></body></html>`
  const doc = await parseDocument(utf8(html), 'html')
  expect(outline(doc)).toEqual([
    'h1 Guide & notes',
    'First bold para with a break.',
    'h2 Setup',
    '* one * two',
    'See the docs.',
  ])
  expect(doc.text).not.toContain('var x')
  expect(doc.text).not.toContain('https://x.test')
})

test('pdf: text of every page through pdf.js, pages as paragraphs', async () => {
  const pdf = tinyPdf([['Hello from page one.', 'Second line of page one.'], ['Page two says goodbye.']])
  const doc = await parseDocument(pdf, 'pdf')
  expect(doc.text).toContain('Hello from page one.')
  expect(doc.text).toContain('Page two says goodbye.')
  expect(doc.text.indexOf('Page two')).toBeGreaterThan(doc.text.indexOf('Second line'))
  const blocks = outline(doc)
  expect(blocks.at(-1)).toBe('Page two says goodbye.')
})

test('docx: Word heading styles become headings (mammoth), body paragraphs blocks', async () => {
  const docx = tinyDocx([
    ['Heading1', 'Annual report'],
    [null, 'Revenue grew & costs fell.'],
    ['Heading2', 'Outlook'],
    [null, 'More of the same.'],
  ])
  const doc = await parseDocument(docx, 'docx')
  expect(outline(doc)).toEqual([
    'h1 Annual report',
    'Revenue grew & costs fell.',
    'h2 Outlook',
    'More of the same.',
  ])
})

test('json: top-level keys head their values, array elements are blocks', async () => {
  const doc = await parseDocument(utf8('{"name":"Widget","specs":{"weight":3,"colors":["red"]}}'), 'json')
  expect(outline(doc)).toEqual(['h1 name', 'Widget', 'h1 specs', '{ "weight": 3, "colors": [ "red" ] }'])
  const list = await parseDocument(utf8('[{"q":"a"},"plain"]'), 'json')
  expect(outline(list)).toEqual(['{ "q": "a" }', 'plain'])
})

test('csv: one block per record, each value named by its column', async () => {
  const csv = '\uFEFFname,city\n"Ada, Countess",London\n\nAlan,Wilmslow\n'
  const doc = await parseDocument(utf8(csv), 'csv')
  expect(doc.text).toBe('name: Ada, Countess\ncity: London\n\nname: Alan\ncity: Wilmslow')
  expect(outline(doc)).toEqual(['name: Ada, Countess city: London', 'name: Alan city: Wilmslow'])
})

test('the type comes from the extension, else the media type; anything else names what it saw', () => {
  expect(documentType('Report.PDF')).toBe('pdf')
  expect(documentType('notes.markdown', 'application/octet-stream')).toBe('md')
  expect(documentType('upload', 'text/csv; charset=utf-8')).toBe('csv')
  expect(() => documentType('photo.png', 'image/png')).toThrow(
    /unsupported file type \(extension \.png, media type image\/png\)/,
  )
  try {
    documentType('archive')
  } catch (error) {
    expect(error).toMatchObject({
      code: 'unsupported_file',
      message: expect.stringContaining('no extension'),
    })
  }
  expect.assertions(5)
})

test('corrupt and empty files are invalid_file failures that say why', async () => {
  const truncated = tinyPdf([['Some text.']]).slice(0, 60)
  expect(await failure(parseDocument(truncated, 'pdf'))).toMatchObject({
    code: 'invalid_file',
    message: expect.stringMatching(/^the file is not a readable PDF file: /),
  })
  expect(await failure(parseDocument(utf8('not a zip at all'), 'docx'))).toMatchObject({
    code: 'invalid_file',
    message: expect.stringMatching(/^the file is not a readable docx file: /),
  })
  expect(await failure(parseDocument(utf8('{"a": '), 'json'))).toMatchObject({ code: 'invalid_file' })
  expect(await failure(parseDocument(utf8('a,b\n"unclosed'), 'csv'))).toMatchObject({ code: 'invalid_file' })
  expect(await failure(parseDocument(new Uint8Array([0xff, 0xfe, 0x00]), 'txt'))).toMatchObject({
    message: 'the file is not a readable text file: it is not UTF-8 text',
  })
  expect(await failure(parseDocument(new Uint8Array(), 'md'))).toMatchObject({ message: 'the file is empty' })
  expect(await failure(parseDocument(utf8('  \n\n '), 'txt'))).toMatchObject({
    message: 'the txt file has no text',
  })
  expect(await failure(parseDocument(tinyPdf([[]]), 'pdf'))).toMatchObject({
    message: 'the PDF has no text layer (a scanned PDF needs OCR first)',
  })
})
