import { randomUUID } from 'node:crypto'
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { getInfra } from '../infra-env.ts'
import { s3Client } from '../infra-s3.ts'
import { s3Version } from '../infra-versions.ts'

const infra = getInfra()
const Bucket = infra.s3Bucket
const client = s3Client(infra)
const prefix = `test-backends/${randomUUID()}/`

const keysUnder = async (under: string) =>
  ((await client.send(new ListObjectsV2Command({ Bucket, Prefix: under }))).Contents ?? []).map((o) => o.Key)

beforeAll(async () => {
  console.log(`s3: ${await s3Version(infra)}`)
})

afterAll(async () => {
  const keys = ['one', 'two'].map((key) => ({ Key: prefix + key }))
  await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys, Quiet: true } }))
  client.destroy()
})

test('signed put, get and a prefix listing round-trip through the server', async () => {
  await client.send(
    new PutObjectCommand({ Bucket, Key: `${prefix}one`, Body: 'first', ContentType: 'text/plain' }),
  )
  await client.send(new PutObjectCommand({ Bucket, Key: `${prefix}two`, Body: 'second' }))
  const got = await client.send(new GetObjectCommand({ Bucket, Key: `${prefix}one` }))
  expect(await got.Body?.transformToString()).toBe('first')
  expect(got.ContentType).toBe('text/plain')
  expect(await keysUnder(prefix)).toEqual([`${prefix}one`, `${prefix}two`])
})
