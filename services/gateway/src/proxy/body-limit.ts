import { type Readable, Transform } from 'node:stream'

/** A request body that grew past the limit while it was being passed on. */
export class BodyLimitExceeded extends Error {
  override name = 'BodyLimitExceeded'
  readonly limit: number
  constructor(limit: number) {
    super(`the request body is larger than ${limit} bytes`)
    this.limit = limit
  }
}

/**
 * The body as it arrives, failing once more than `limit` bytes came. Only needed when the caller
 * sent no Content-Length (chunked): a declared length is checked before anything is read, and
 * Node's parser holds the caller to it.
 */
export function limitBody(body: Readable, limit: number): Readable {
  let seen = 0
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length
      callback(seen > limit ? new BodyLimitExceeded(limit) : null, chunk)
    },
  })
  body.on('error', (error) => limited.destroy(error))
  // Whoever reads it (the transport) learns of the error; once it gave up reading, nobody listens.
  limited.on('error', () => {})
  return body.pipe(limited)
}
