import { randomUUID } from 'node:crypto'
import { buffer } from 'node:stream/consumers'
import { DeleteBucketCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { getInfra } from '@switchyard/test-backends'
import { afterAll, expect, onTestFinished, test } from 'vitest'
import { ObjectNotFoundError } from './errors.ts'
import { storedKey } from './keys.ts'
import { objectStoreContract } from './object-store.contract.ts'
import { createS3ObjectStore, ensureBucket } from './s3-object-store.ts'

// The real S3-compatible server of the integration run (MinIO from deploy/local or a container).
const infra = getInfra()
const client: S3ClientConfig = {
  endpoint: infra.s3Endpoint,
  region: infra.s3Region,
  forcePathStyle: true,
  credentials: { accessKeyId: infra.s3AccessKeyId, secretAccessKey: infra.s3SecretAccessKey },
}
// Every store of this file lives under one prefix of the shared bucket, removed at the end.
const root = `object-store-test/${randomUUID()}/`
let stores = 0
const freshPrefix = () => `${root}${stores++}/`
const store = (keyPrefix = freshPrefix()) =>
  createS3ObjectStore({ bucket: infra.s3Bucket, keyPrefix, client })

afterAll(async () => {
  const all = createS3ObjectStore({ bucket: infra.s3Bucket, keyPrefix: 'object-store-test/', client })
  await all.deletePrefix(root.slice('object-store-test/'.length))
  await all.close()
})

objectStoreContract('s3 (real server)', () => store())

test('the content type is kept with the object, stored under the prefix as the escaped key', async () => {
  const prefix = freshPrefix()
  const objects = store(prefix)
  onTestFinished(() => objects.close())
  await objects.put('org_1/file.pdf', new TextEncoder().encode('%PDF-1.7'), {
    contentType: 'application/pdf',
  })
  const s3 = new S3Client(client)
  onTestFinished(() => s3.destroy())
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: infra.s3Bucket, Key: prefix + storedKey('org_1/file.pdf') }),
  )
  expect(head.ContentType).toBe('application/pdf')
  expect(head.ContentLength).toBe('%PDF-1.7'.length)
})

test('a missing bucket is an error of its own, never ObjectNotFoundError, and ping says false', async () => {
  const missing = createS3ObjectStore({ bucket: `missing-${randomUUID()}`, client })
  onTestFinished(() => missing.close())
  const error = await missing.get('k').catch((e: unknown) => e)
  expect(error).toBeInstanceOf(Error)
  expect(error).not.toBeInstanceOf(ObjectNotFoundError)
  expect((error as Error).name).toBe('NoSuchBucket')
  expect(await missing.ping()).toBe(false)
})

test('ensureBucket makes a missing bucket once, and a second call finds it', async () => {
  const bucket = `object-store-test-${randomUUID()}`
  const objects = createS3ObjectStore({ bucket, client })
  onTestFinished(async () => {
    await objects.deletePrefix('k')
    const s3 = new S3Client(client)
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
    s3.destroy()
    await objects.close()
  })
  expect(await objects.ping()).toBe(false)
  await ensureBucket({ bucket, client })
  await ensureBucket({ bucket, client })
  expect(await objects.ping()).toBe(true)
  await objects.put('k', new TextEncoder().encode('in the new bucket'))
  expect((await buffer(await objects.get('k'))).toString()).toBe('in the new bucket')
})
