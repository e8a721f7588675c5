import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { describe, expect, onTestFinished, test } from 'vitest'
import { InvalidObjectKeyError, ObjectLengthMismatchError, ObjectNotFoundError } from './errors.ts'
import { MAX_KEY_BYTES } from './keys.ts'
import type { ObjectStore, OwnedObjectStore } from './object-store.ts'

/**
 * What every ObjectStore must do. `make` is called once per test and must return a store that
 * holds no objects (for a shared server: a prefix or bucket of its own); it is closed after the test.
 */
export function objectStoreContract(
  name: string,
  make: () => Promise<OwnedObjectStore> | OwnedObjectStore,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    const open = async (): Promise<OwnedObjectStore> => {
      const store = await make()
      onTestFinished(() => store.close())
      return store
    }

    test('get answers the bytes that put stored', async () => {
      const store = await open()
      const bytes = new TextEncoder().encode('hello, objects')
      await store.put('org_1/file_1', bytes, { contentType: 'text/plain' })
      expect(await read(store, 'org_1/file_1')).toEqual(Buffer.from(bytes))
    })

    test('put takes a stream, and keeps every byte value and the empty object', async () => {
      const store = await open()
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      await store.put('bytes', Readable.from([all.subarray(0, 100), all.subarray(100)]))
      await store.put('empty', new Uint8Array(0))
      expect(await read(store, 'bytes')).toEqual(all)
      expect((await read(store, 'empty')).length).toBe(0)
    })

    test('a large streamed body of unknown length arrives whole', async () => {
      const store = await open()
      // Above S3's 5 MiB minimum part: a store that splits uploads into parts must join them right.
      const chunk = Buffer.alloc(64 * 1024)
      const chunks = Array.from({ length: 100 }, (_, i) => Buffer.from(chunk.fill(i % 251)))
      const expected = createHash('sha256').update(Buffer.concat(chunks)).digest('hex')
      await store.put('large', Readable.from(chunks))
      const got = await read(store, 'large')
      expect(got.length).toBe(chunks.length * chunk.length)
      expect(createHash('sha256').update(got).digest('hex')).toBe(expected)
    })

    test('put replaces an object', async () => {
      const store = await open()
      await store.put('k', text('first version'))
      await store.put('k', text('second'))
      expect((await read(store, 'k')).toString()).toBe('second')
    })

    test('get of a missing key throws ObjectNotFoundError naming the key', async () => {
      const store = await open()
      const error = await store.get('org_1/missing').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ObjectNotFoundError)
      expect((error as ObjectNotFoundError).key).toBe('org_1/missing')
    })

    test('delete removes an object, and deleting a missing one is no error', async () => {
      const store = await open()
      await store.put('a/b', text('x'))
      await store.delete('a/b')
      await expect(store.get('a/b')).rejects.toBeInstanceOf(ObjectNotFoundError)
      await store.delete('a/b')
      await store.delete('never/stored')
    })

    test('a key and the keys under it as a folder are separate objects', async () => {
      const store = await open()
      await store.put('a', text('file a'))
      await store.put('a/b', text('file a/b'))
      await store.put('a/b/c', text('file a/b/c'))
      expect((await read(store, 'a')).toString()).toBe('file a')
      expect((await read(store, 'a/b')).toString()).toBe('file a/b')
      expect((await read(store, 'a/b/c')).toString()).toBe('file a/b/c')
    })

    test('keys keep unusual characters apart', async () => {
      const store = await open()
      const keys = ['~', '%7E', '%', '%25', 'a~', 'a%7E', '.hidden', 'a..b', 'x y', 'é/ü', 'a.tmp', 'a~.tmp']
      for (const key of keys) await store.put(key, text(`value of ${key}`))
      for (const key of keys) expect((await read(store, key)).toString(), key).toBe(`value of ${key}`)
    })

    test('keys that could escape a folder or mean something else are refused everywhere', async () => {
      const store = await open()
      const bad = [
        '',
        '/abs',
        '../x',
        'a/../b',
        'a/..',
        '..',
        '.',
        'a/./b',
        'a//b',
        'a/',
        'nul\u0000',
        'nl\n',
      ]
      bad.push('k'.repeat(MAX_KEY_BYTES + 1))
      for (const key of bad) {
        await expect(store.put(key, text('x')), JSON.stringify(key)).rejects.toBeInstanceOf(
          InvalidObjectKeyError,
        )
        await expect(store.get(key), JSON.stringify(key)).rejects.toBeInstanceOf(InvalidObjectKeyError)
        await expect(store.delete(key), JSON.stringify(key)).rejects.toBeInstanceOf(InvalidObjectKeyError)
      }
    })

    test('a body shorter or longer than its contentLength is refused and the old object stays', async () => {
      const store = await open()
      await store.put('k', text('old'), { contentLength: 3 })
      const short = store.put('k', Readable.from([text('ne')]), { contentLength: 3 })
      await expect(short).rejects.toBeInstanceOf(ObjectLengthMismatchError)
      await expect(store.put('k', text('newer'), { contentLength: 3 })).rejects.toBeInstanceOf(
        ObjectLengthMismatchError,
      )
      await expect(store.put('fresh', text('ab'), { contentLength: 1 })).rejects.toBeInstanceOf(
        ObjectLengthMismatchError,
      )
      expect((await read(store, 'k')).toString()).toBe('old')
      await expect(store.get('fresh')).rejects.toBeInstanceOf(ObjectNotFoundError)
    })

    test('a body stream that fails mid-way rejects the put and stores nothing', async () => {
      const store = await open()
      await store.put('k', text('old'))
      const failing = Readable.from(
        (async function* () {
          yield text('partial ')
          throw new Error('client went away')
        })(),
      )
      await expect(store.put('k', failing)).rejects.toThrow('client went away')
      expect((await read(store, 'k')).toString()).toBe('old')
      expect(await store.deletePrefix('k')).toBe(1)
    })

    test('deletePrefix removes exactly the keys that start with the prefix and counts them', async () => {
      const store = await open()
      const keys = ['org_1', 'org_1/a', 'org_1/b/c', 'org_1/b/d', 'org_10/x', 'org_2/a', 'other']
      for (const key of keys) await store.put(key, text(key))
      expect(await store.deletePrefix('org_1/')).toBe(3)
      expect(await store.deletePrefix('org_1/')).toBe(0)
      for (const key of ['org_1', 'org_10/x', 'org_2/a', 'other'])
        expect((await read(store, key)).toString()).toBe(key)
      // A prefix is a string prefix, as S3 lists: it may end mid-segment.
      expect(await store.deletePrefix('org_1')).toBe(2)
      await expect(store.get('org_10/x')).rejects.toBeInstanceOf(ObjectNotFoundError)
      expect((await read(store, 'org_2/a')).toString()).toBe('org_2/a')
      expect(await store.deletePrefix('nothing/')).toBe(0)
      await expect(store.deletePrefix('')).rejects.toBeInstanceOf(InvalidObjectKeyError)
      await expect(store.deletePrefix('../')).rejects.toBeInstanceOf(InvalidObjectKeyError)
    })

    test('a reader during overwrites sees one whole version, never a mix', async () => {
      const store = await open()
      const size = 256 * 1024
      const versions = [Buffer.alloc(size, 'a'), Buffer.alloc(size, 'b')]
      await store.put('hot', versions[0] as Buffer)
      const writes = Array.from({ length: 6 }, (_, i) => store.put('hot', versions[(i + 1) % 2] as Buffer))
      const reads = Array.from({ length: 6 }, () => read(store, 'hot'))
      await Promise.all(writes)
      for (const got of await Promise.all(reads)) {
        expect(got.length).toBe(size)
        expect(got.equals(versions[0] as Buffer) || got.equals(versions[1] as Buffer)).toBe(true)
      }
    })

    test('ping answers true for a working store', async () => {
      const store = await open()
      expect(await store.ping()).toBe(true)
    })
  })
}

async function read(store: ObjectStore, key: string): Promise<Buffer> {
  return buffer(await store.get(key))
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value)
}
