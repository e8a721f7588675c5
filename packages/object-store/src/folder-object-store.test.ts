import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { expect, onTestFinished, test } from 'vitest'
import { createFolderObjectStore } from './folder-object-store.ts'
import { objectStoreContract } from './object-store.contract.ts'

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'object-store-'))
  onTestFinished(() => rm(root, { recursive: true, force: true }))
  return root
}

objectStoreContract('folder', async () => createFolderObjectStore(await tempRoot()))

test('the folder holds each object as one file under its key, and no temporary file after a put', async () => {
  const root = await tempRoot()
  const store = createFolderObjectStore(root)
  await store.put('org_1/file~1', new Uint8Array([1, 2, 3]))
  const failing = async function* () {
    yield new Uint8Array([9])
    throw new Error('cut')
  }
  await expect(store.put('org_1/other', Readable.from(failing()))).rejects.toThrow('cut')
  expect(await readdir(join(root, 'org_1'))).toEqual(['file%7E1~'])
})

test('ping answers false when the root cannot be made', async () => {
  const root = await tempRoot()
  const store = createFolderObjectStore(root)
  await store.put('file', new Uint8Array([1]))
  // The root's path runs through a file, so no folder can be made there.
  expect(await createFolderObjectStore(join(root, 'file~', 'objects')).ping()).toBe(false)
  expect(await store.ping()).toBe(true)
})
