import type { Readable } from 'node:stream'
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { checkedBody } from './body.ts'
import { InvalidObjectKeyError, ObjectLengthMismatchError, ObjectNotFoundError } from './errors.ts'
import { assertValidKey, assertValidPrefix, escapePath, MAX_KEY_BYTES, storedKey } from './keys.ts'
import type { OwnedObjectStore, PutOptions } from './object-store.ts'

export interface S3ObjectStoreOptions {
  bucket: string
  /**
   * Put before every key, e.g. `switchyard/` to share a bucket, or one per test. Keys and
   * deletePrefix stay relative to it.
   */
  keyPrefix?: string
  /**
   * The client's settings: `region`, `endpoint` (MinIO and other S3-compatible servers; then set
   * `forcePathStyle: true`) and `credentials` (unset: the SDK's default chain, e.g. IRSA on EKS).
   */
  client: S3ClientConfig
}

/**
 * Objects in one S3 bucket through AWS SDK v3. The store owns its client: close() destroys it.
 * Key `a/b` is the S3 key `<keyPrefix>a/b~` (`storedKey`, as the folder store names its files):
 * MinIO keeps an object as a folder on its drive and lists nothing under `a/` once an object `a`
 * exists, and with the `~` no object's name is another's prefix folder.
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): OwnedObjectStore {
  const client = new S3Client(options.client)
  const Bucket = options.bucket
  const prefix = options.keyPrefix ?? ''
  const Key = (key: string) => {
    assertValidKey(key)
    const stored = prefix + storedKey(key)
    if (Buffer.byteLength(stored) > MAX_KEY_BYTES) {
      throw new InvalidObjectKeyError(
        key,
        `longer than S3's ${MAX_KEY_BYTES} bytes once escaped and prefixed`,
      )
    }
    return stored
  }

  return {
    async put(key: string, body: Uint8Array | Readable, putOptions: PutOptions = {}) {
      const { contentType, contentLength } = putOptions
      const target = { Bucket, Key: Key(key), ...(contentType && { ContentType: contentType }) }
      if (body instanceof Uint8Array) {
        if (contentLength !== undefined && contentLength !== body.byteLength) {
          throw new ObjectLengthMismatchError(key, contentLength, body.byteLength)
        }
        await client.send(new PutObjectCommand({ ...target, Body: body, ContentLength: body.byteLength }))
        return
      }
      // A stream's length is not known up front: Upload sends one PutObject when the body fits a
      // part and a multipart upload otherwise (aborted if the body fails, so no part is kept).
      const upload = new Upload({
        client,
        params: { ...target, Body: checkedBody(key, body, contentLength) },
      })
      try {
        await upload.done()
      } catch (error) {
        throw unwrapBodyError(error)
      }
    },

    async get(key: string) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket, Key: Key(key) }))
        // In Node the body is an http.IncomingMessage: a Readable. Read it or destroy it, or its
        // socket stays out of the client's pool.
        return response.Body as Readable
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(key)
        throw error
      }
    },

    async delete(key: string) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: Key(key) }))
    },

    async deletePrefix(keyPrefix: string) {
      assertValidPrefix(keyPrefix)
      let count = 0
      let ContinuationToken: string | undefined
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix + escapePath(keyPrefix), ContinuationToken }),
        )
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []))
        if (keys.length > 0) {
          // A page holds at most 1,000 keys: one DeleteObjects request's limit.
          const result = await client.send(
            new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }),
          )
          const failed = result.Errors ?? []
          if (failed.length > 0) {
            throw new Error(
              `S3 refused to delete ${failed.length} objects, e.g. ${failed[0]?.Key}: ${failed[0]?.Message}`,
            )
          }
          count += keys.length
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (ContinuationToken)
      return count
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }))
        return true
      } catch {
        return false
      }
    },

    async close() {
      client.destroy()
    },
  }
}

/**
 * Creates the bucket unless it exists (the runtime at start, the tests). Racing another replica
 * that creates it first is fine.
 */
export async function ensureBucket(options: Pick<S3ObjectStoreOptions, 'bucket' | 'client'>): Promise<void> {
  const client = new S3Client(options.client)
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: options.bucket }))
      return
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: options.bucket }))
    } catch (error) {
      if (!(error instanceof S3ServiceException && error.name === 'BucketAlreadyOwnedByYou')) throw error
    }
  } finally {
    client.destroy()
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    error.name !== 'NoSuchBucket' &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  )
}

/** Upload reports a failed body as its own error; the caller should see the body's. */
function unwrapBodyError(error: unknown): unknown {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof ObjectLengthMismatchError) return current
    current = current.cause
  }
  return error
}
