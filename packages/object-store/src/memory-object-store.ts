import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { checkedBody } from './body.ts'
import { ObjectNotFoundError } from './errors.ts'
import { assertValidKey, assertValidPrefix } from './keys.ts'
import type { OwnedObjectStore, PutOptions } from './object-store.ts'

/** Objects in a Map: for unit tests of the services that store objects. */
export function createMemoryObjectStore(): OwnedObjectStore {
  const objects = new Map<string, Buffer>()
  return {
    async put(key: string, body: Uint8Array | Readable, options: PutOptions = {}) {
      assertValidKey(key)
      // Read the whole body before it replaces the old one: a failed body leaves the old in place.
      objects.set(key, await buffer(checkedBody(key, body, options.contentLength)))
    },
    async get(key: string) {
      assertValidKey(key)
      const bytes = objects.get(key)
      if (bytes === undefined) throw new ObjectNotFoundError(key)
      return Readable.from([bytes])
    },
    async delete(key: string) {
      assertValidKey(key)
      objects.delete(key)
    },
    async deletePrefix(prefix: string) {
      assertValidPrefix(prefix)
      let count = 0
      for (const key of objects.keys()) {
        if (key.startsWith(prefix)) {
          objects.delete(key)
          count++
        }
      }
      return count
    },
    ping: async () => true,
    close: async () => {},
  }
}
