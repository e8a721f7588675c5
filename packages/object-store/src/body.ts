import { pipeline, Readable, Transform } from 'node:stream'
import { ObjectLengthMismatchError } from './errors.ts'

/** The body as a stream, whichever form the caller gave. */
export function toReadable(body: Uint8Array | Readable): Readable {
  return body instanceof Uint8Array ? Readable.from([body]) : body
}

/**
 * Passes bytes through and fails the stream when they exceed `expected` or end short of it, so
 * the store that reads it discards the partial object instead of keeping it.
 */
export function lengthCheck(key: string, expected: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length
      if (seen > expected) done(new ObjectLengthMismatchError(key, expected, seen))
      else done(null, chunk)
    },
    flush(done) {
      done(seen === expected ? null : new ObjectLengthMismatchError(key, expected, seen))
    },
  })
}

/** The body as a stream, checked against `contentLength` when one is given. */
export function checkedBody(key: string, body: Uint8Array | Readable, contentLength?: number): Readable {
  const stream = toReadable(body)
  if (contentLength === undefined) return stream
  const check = lengthCheck(key, contentLength)
  // pipeline, not pipe: a failing source must fail the check too, or its reader waits forever.
  pipeline(stream, check, () => {})
  return check
}
