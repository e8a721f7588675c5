/** `get` of a key with no object. Callers map it to their own 404. */
export class ObjectNotFoundError extends Error {
  readonly code = 'OBJECT_NOT_FOUND'
  readonly key: string
  constructor(key: string) {
    super(`no object under key ${JSON.stringify(key)}`)
    this.name = 'ObjectNotFoundError'
    this.key = key
  }
}

/** A key (or prefix) that the store refuses: a programming error, never user input passed through. */
export class InvalidObjectKeyError extends RangeError {
  readonly code = 'OBJECT_KEY_INVALID'
  constructor(key: string, reason: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`)
    this.name = 'InvalidObjectKeyError'
  }
}

/** A put whose body delivered another byte count than its `contentLength` said; nothing was stored. */
export class ObjectLengthMismatchError extends Error {
  readonly code = 'OBJECT_LENGTH_MISMATCH'
  constructor(key: string, expected: number, actual: number) {
    super(`object ${JSON.stringify(key)}: body delivered ${actual} bytes, contentLength said ${expected}`)
    this.name = 'ObjectLengthMismatchError'
  }
}
