import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInternalTokenSigner, generateInternalKeyPair } from '@switchyard/kit'
import { createS3ObjectStore, ObjectNotFoundError } from '@switchyard/object-store'
import { ragService } from '@switchyard/rag'
import { migrateTarget, type Switchyard, start } from '@switchyard/runtime'
import { alice, dropS3Bucket, eve, getInfra } from '@switchyard/testing'
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'

// rag as a single target runs it: on its own, on the real PostgreSQL + pgvector (a database of
// its own, migrated by `switchyard migrate --target=rag`), Kafka and the S3 server of the run,
// in a bucket that does not exist before the start (the start makes it). The secret key comes
// from a mounted file, as an operator passes it.
const infra = getInfra()
const database = `rag_s3_it_${randomUUID().replaceAll('-', '').slice(0, 12)}`
const databaseUrl = (() => {
  const url = new URL(infra.pgvectorUrl)
  url.pathname = `/${database}`
  return url.toString()
})()
const bucket = `rag-it-${randomUUID()}`
const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
const server = new pg.Client({ connectionString: infra.pgvectorUrl })
// The bucket seen through the same port rag uses, to check what rag stored there.
const bucketObjects = createS3ObjectStore({
  bucket,
  client: {
    endpoint: infra.s3Endpoint,
    region: infra.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: infra.s3AccessKeyId, secretAccessKey: infra.s3SecretAccessKey },
  },
})
let root: string
let rag: Switchyard

const ragEnv = () => ({
  SWITCHYARD_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  SWITCHYARD_HOST: '127.0.0.1',
  SWITCHYARD_PORT: '0',
  SWITCHYARD_DATA_DIR: join(root, 'rag'),
  // Uploads call no peer; the router's address only has to be a URL.
  SWITCHYARD_SERVICE_URL_TEMPLATE: 'http://127.0.0.1:9/{name}',
  INTERNAL_TOKEN_PUBLIC_KEY: keys.publicKey,
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  SWITCHYARD_S3_BUCKET: bucket,
  SWITCHYARD_S3_ENDPOINT: infra.s3Endpoint,
  SWITCHYARD_S3_REGION: infra.s3Region,
  SWITCHYARD_S3_ACCESS_KEY_ID: infra.s3AccessKeyId,
  SWITCHYARD_S3_SECRET_ACCESS_KEY_FILE: join(root, 's3-secret'),
  SHUTDOWN_GRACE_MS: '1s',
})

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rag-s3-it-'))
  await writeFile(join(root, 's3-secret'), `${infra.s3SecretAccessKey}\n`, { mode: 0o600 })
  await server.connect()
  await server.query(`CREATE DATABASE ${database}`)
  const migrated = await migrateTarget({
    target: 'rag',
    services: { rag: ragService },
    homeDir: root,
    env: ragEnv(),
  })
  expect(migrated.reports.map((r) => r.service)).toEqual(['rag'])
  rag = await start({ target: 'rag', services: { rag: ragService }, homeDir: root, env: ragEnv() })
}, 240_000)

afterAll(async () => {
  await rag?.close()
  await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await server.end()
  await bucketObjects.close()
  await dropS3Bucket(infra, bucket)
  await rm(root, { recursive: true, force: true })
})

const auth = async (as = alice) => ({ authorization: `Bearer ${await signer.sign(as)}` })

const originalOf = async (fileId: string) =>
  Buffer.concat(await (await bucketObjects.get(`${alice.orgId}/files/${fileId}`)).toArray()).toString()

test('a single rag target keeps objects in the S3 bucket it made at start, and is ready', async () => {
  expect(rag.plan.objects).toMatchObject({ impl: 's3', bucket, endpoint: infra.s3Endpoint })
  const ready = (await (await fetch(`${rag.url}/readyz`)).json()) as { status: string; checks: object }
  expect(ready.status).toBe('ready')
  expect(Object.keys(ready.checks)).toContain('objects:s3')
})

test('an uploaded file lands in S3 and its content reads back byte for byte; delete removes it', async () => {
  const content = `# Notes\n\nStored in MinIO at ${new Date(0).toISOString()}: ${'é'.repeat(3)}\n`
  const form = new FormData()
  form.append('purpose', 'assistants')
  form.append('file', new Blob([content], { type: 'text/markdown' }), 'notes.md')
  const uploaded = await fetch(`${rag.url}/v1/files`, { method: 'POST', headers: await auth(), body: form })
  expect(uploaded.status).toBe(200)
  const file = (await uploaded.json()) as { id: string; bytes: number; filename: string }
  const bytes = Buffer.byteLength(content)
  expect(file).toMatchObject({ bytes, filename: 'notes.md' })

  // The original sits in the bucket under its org (rag's key), whole.
  expect(await originalOf(file.id)).toBe(content)

  const read = await fetch(`${rag.url}/v1/files/${file.id}/content`, { headers: await auth() })
  expect(read.status).toBe(200)
  expect(await read.text()).toBe(content)

  // Another org's caller learns nothing about it.
  const other = await fetch(`${rag.url}/v1/files/${file.id}/content`, { headers: await auth(eve) })
  expect(other.status).toBe(404)

  const deleted = await fetch(`${rag.url}/v1/files/${file.id}`, { method: 'DELETE', headers: await auth() })
  expect(deleted.status).toBe(200)
  await expect(originalOf(file.id)).rejects.toBeInstanceOf(ObjectNotFoundError)
  const gone = await fetch(`${rag.url}/v1/files/${file.id}/content`, { headers: await auth() })
  expect(gone.status).toBe(404)
})
