// Citations in a model's answer: the model is told to cite as [n: "exact words"], where n numbers
// the sources it was given. A citation is kept only if source n really contains the quote; then it
// names the file, the chunk and the quote's offsets in the file's parsed text. Anything else is
// dropped from the text before it reaches the caller.

/** A retrieved chunk as the answer's sources list it (1-based `n` in the prompt). */
export interface Source {
  fileId: string
  filename: string
  chunkId: string
  chunkIndex: number
  /** Offset of the chunk's text in the file's parsed text. */
  charStart: number
  text: string
}

export interface Citation {
  /** The source's number in the prompt (1-based). */
  source: number
  file_id: string
  filename: string
  chunk_id: string
  chunk_index: number
  /** Offsets of the quote in the file's parsed text, end exclusive. */
  char_start: number
  char_end: number
  /** The quoted text as the chunk has it. */
  quote: string
}

/** The chunk's own span for a quote, matched exactly, else ignoring case and runs of whitespace. */
export function locateQuote(text: string, quote: string): { start: number; end: number } | null {
  const wanted = quote.trim()
  if (wanted.length === 0) return null
  const exact = text.indexOf(wanted)
  if (exact >= 0) return { start: exact, end: exact + wanted.length }
  // Fold the chunk to lower case with single spaces, remembering where each folded character came from.
  let folded = ''
  const origin: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (/\s/.test(c)) {
      if (folded.endsWith(' ')) continue
      folded += ' '
    } else folded += c.toLowerCase()
    origin.push(i)
  }
  const needle = wanted.replace(/\s+/g, ' ').toLowerCase()
  const at = folded.indexOf(needle)
  if (at < 0) return null
  return { start: origin[at] as number, end: (origin[at + needle.length - 1] as number) + 1 }
}

/** The citation a marker stands for, or null when its source does not contain its quote. */
export function verifyCitation(sources: readonly Source[], n: number, quote: string): Citation | null {
  const source = sources[n - 1]
  if (source === undefined) return null
  const span = locateQuote(source.text, quote)
  if (span === null) return null
  return {
    source: n,
    file_id: source.fileId,
    filename: source.filename,
    chunk_id: source.chunkId,
    chunk_index: source.chunkIndex,
    char_start: source.charStart + span.start,
    char_end: source.charStart + span.end,
    quote: source.text.slice(span.start, span.end),
  }
}

/** `[n: "quote"]`; a model that forgets the closing bracket still cites. */
const marker = /^\[(\d{1,3}):\s*"([^"\]]{1,1000})"(\s*)(\]?)/
/** A prefix that may still grow into a marker. */
const partialMarker = /^\[(\d{0,3}(:\s*("[^"\]]{0,1000}("\s*)?)?)?)?$/

/**
 * Turns the model's text, as it streams, into what the caller sees: a verified marker becomes
 * `[n]` plus a citation, an unverified one disappears, other text passes unchanged. Text that may
 * be the start of a marker is held until it is decided.
 */
export class CitationFilter {
  readonly #sources: readonly Source[]
  #held = ''
  readonly citations: Citation[] = []

  constructor(sources: readonly Source[]) {
    this.#sources = sources
  }

  /** Feeds a piece of the model's text; returns the text to show and the citations it completed. */
  push(piece: string): { text: string; citations: Citation[] } {
    this.#held += piece
    return this.#drain(false)
  }

  /** The model is done: whatever is held is decided now (an unfinished marker is dropped). */
  end(): { text: string; citations: Citation[] } {
    return this.#drain(true)
  }

  #drain(final: boolean): { text: string; citations: Citation[] } {
    let text = ''
    const found: Citation[] = []
    for (;;) {
      const open = this.#held.indexOf('[')
      if (open < 0) {
        text += this.#held
        this.#held = ''
        break
      }
      text += this.#held.slice(0, open)
      this.#held = this.#held.slice(open)
      const complete = marker.exec(this.#held)
      // Decided once its bracket came, or something else followed the quote, or the text ended.
      if (complete !== null && (complete[4] === ']' || this.#held.length > complete[0].length || final)) {
        const citation = verifyCitation(this.#sources, Number(complete[1]), complete[2] as string)
        if (citation !== null) {
          text += `[${citation.source}]`
          found.push(citation)
          this.citations.push(citation)
        }
        this.#held = this.#held.slice(complete[0].length)
        continue
      }
      if (!final && partialMarker.test(this.#held)) break
      // Not a marker (or one left unfinished at the end, which cannot be checked): a plain '['
      // passes, an unfinished citation is dropped.
      if (final && /^\[\d{1,3}:/.test(this.#held)) {
        this.#held = ''
        break
      }
      text += '['
      this.#held = this.#held.slice(1)
    }
    return { text, citations: found }
  }
}
