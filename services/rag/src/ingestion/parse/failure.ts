/**
 * Why a file cannot be ingested, in OpenAI's `last_error.code` terms: `unsupported_file` for a type
 * no parser reads, `invalid_file` for a file its parser refused (corrupt, empty, no text). The
 * worker ends the file `failed` with this message; it is never retried.
 */
export class ParseFailure extends Error {
  readonly code: 'unsupported_file' | 'invalid_file'
  constructor(code: 'unsupported_file' | 'invalid_file', message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ParseFailure'
    this.code = code
  }
}

/** A parser's own error as an `invalid_file` failure naming the format, its message kept. */
export function invalidFile(format: string, error: unknown): ParseFailure {
  if (error instanceof ParseFailure) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new ParseFailure('invalid_file', `the file is not a readable ${format} file: ${reason}`, {
    cause: error,
  })
}
