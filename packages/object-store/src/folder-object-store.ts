import { randomUUID } from 'node:crypto'
import { createWriteStream, type Dirent } from 'node:fs'
import { access, constants, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { checkedBody } from './body.ts'
import { InvalidObjectKeyError, ObjectNotFoundError } from './errors.ts'
import { assertValidKey, assertValidPrefix, escapePath, storedKey } from './keys.ts'
import type { OwnedObjectStore, PutOptions } from './object-store.ts'

/**
 * Objects as files under one folder (the one-process shape: `<dataDir>/objects`). Key `a/b/c`
 * is the file `a/b/c~` under the root: every segment is escaped (`%` and `~` become `%25`, `%7E`),
 * so a file name always ends in `~` and a folder name never does, and key `a` can sit beside keys
 * `a/…` as S3 allows. A put writes a temporary file beside the target and renames it over it.
 */
export function createFolderObjectStore(root: string): OwnedObjectStore {
  const fileOf = (key: string): { dir: string; file: string } => {
    assertValidKey(key)
    const file = join(root, storedKey(key))
    if (Buffer.byteLength(basename(file)) > 255)
      throw new InvalidObjectKeyError(key, 'a segment is too long once escaped')
    return { dir: dirname(file), file }
  }

  return {
    async put(key: string, body: Uint8Array | Readable, options: PutOptions = {}) {
      const { dir, file } = fileOf(key)
      const source = checkedBody(key, body, options.contentLength)
      await mkdir(dir, { recursive: true })
      // `~` then a dot: neither an object (ends in `~`) nor a folder (no `~`); deletePrefix skips it.
      const temporary = `${file}.${randomUUID()}.tmp`
      try {
        // flush: fsync before close, so the rename never publishes a file the disk does not hold.
        await pipeline(source, createWriteStream(temporary, { flags: 'wx', flush: true }))
        await rename(temporary, file)
      } catch (error) {
        await unlink(temporary).catch(() => {})
        throw error
      }
    },

    async get(key: string) {
      const { file } = fileOf(key)
      try {
        // Open before answering: a missing object throws here, not later from the stream, and the
        // open descriptor keeps reading the object it found even if a put replaces it meanwhile.
        const handle = await open(file, 'r')
        return handle.createReadStream()
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) throw new ObjectNotFoundError(key)
        throw error
      }
    },

    async delete(key: string) {
      const { file } = fileOf(key)
      await rm(file, { force: true })
    },

    async deletePrefix(prefix: string) {
      assertValidPrefix(prefix)
      const segments = prefix.split('/')
      const partial = escapePath(segments.pop() ?? '')
      const dir = join(root, ...segments.map(escapePath))
      let entries: Dirent[]
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return 0
        throw error
      }
      // The escaping maps each character on its own and no escape is a prefix of another, so
      // escaped names start with the escaped partial segment exactly when the keys do.
      let count = 0
      for (const entry of entries) {
        if (!entry.name.startsWith(partial)) continue
        const path = join(dir, entry.name)
        if (entry.isDirectory()) {
          count += await countObjects(path)
          await rm(path, { recursive: true, force: true })
        } else if (entry.name.endsWith('~')) {
          await rm(path, { force: true })
          count++
        }
      }
      return count
    },

    async ping() {
      try {
        await mkdir(root, { recursive: true })
        await access(root, constants.W_OK)
        return true
      } catch {
        return false
      }
    },

    close: async () => {},
  }
}

async function countObjects(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith('~')).length
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
}
