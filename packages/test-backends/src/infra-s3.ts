import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import type { InfraEndpoints } from './infra-endpoints.ts'

type S3Endpoint = Pick<InfraEndpoints, 's3Endpoint' | 's3Region' | 's3AccessKeyId' | 's3SecretAccessKey'>

/** A client for the test S3 server: path-style, as MinIO is addressed. Destroy it after use. */
export function s3Client(infra: S3Endpoint): S3Client {
  return new S3Client({
    endpoint: infra.s3Endpoint,
    region: infra.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: infra.s3AccessKeyId, secretAccessKey: infra.s3SecretAccessKey },
  })
}

/**
 * Makes the tests' bucket unless it exists: deploy/local makes it at `up`, but a container or a
 * docker-compose MinIO starts empty.
 */
export async function ensureS3Bucket(infra: S3Endpoint & Pick<InfraEndpoints, 's3Bucket'>): Promise<void> {
  const client = s3Client(infra)
  try {
    await client.send(new HeadBucketCommand({ Bucket: infra.s3Bucket }))
  } catch (error) {
    if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) throw error
    await client.send(new CreateBucketCommand({ Bucket: infra.s3Bucket }))
  } finally {
    client.destroy()
  }
}

/** Removes a bucket a test made, with whatever objects are left in it; a missing bucket is fine. */
export async function dropS3Bucket(infra: S3Endpoint, bucket: string): Promise<void> {
  const client = s3Client(infra)
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
      const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []))
      if (objects.length === 0) break
      await client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      )
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }))
  } catch (error) {
    if (!(error instanceof S3ServiceException && error.name === 'NoSuchBucket')) throw error
  } finally {
    client.destroy()
  }
}
