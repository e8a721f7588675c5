import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import type { MultipartFile } from '@fastify/multipart'
import type { ObjectStore } from '@switchyard/object-store'

export interface StoredUpload {
  bytes: number
  sha256: string
  filename: string
  contentType: string
  /** The part was cut at the size limit: what was stored is incomplete and must go. */
  truncated: boolean
}

/**
 * Streams one uploaded part into the object store at `key`, counting and hashing on the way:
 * the file is never held whole in memory. busboy stops the part at the configured size and
 * marks it truncated; the caller then deletes what was stored and answers 413.
 */
export async function storeUpload(
  objects: ObjectStore,
  key: string,
  part: MultipartFile,
): Promise<StoredUpload> {
  const hash = createHash('sha256')
  let bytes = 0
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      hash.update(chunk)
      done(null, chunk)
    },
  })
  part.file.on('error', (error) => meter.destroy(error))
  const contentType = part.mimetype || 'application/octet-stream'
  await objects.put(key, part.file.pipe(meter), { contentType })
  return {
    bytes,
    sha256: hash.digest('hex'),
    filename: part.filename,
    contentType,
    truncated: part.file.truncated,
  }
}
