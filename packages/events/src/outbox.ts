import { constants } from 'node:fs'
import { type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'

/** One buffered event: exactly what goes to Kafka. */
export interface OutboxRecord {
  topic: string
  /** The Kafka message key (the envelope's key). */
  key: string
  /** The serialized envelope; its id never changes, so consumers deduplicate a replay. */
  value: string
  headers: Record<string, string>
}

/** The oldest pending records and where they end in the file. */
export interface OutboxBatch {
  records: OutboxRecord[]
  /** Lines covered, corrupt ones (skipped) included. */
  lines: number
  /** Byte offset just past the batch. */
  end: number
}

/**
 * A durable FIFO of events that could not reach Kafka: `outbox.jsonl`, append-only, one JSON
 * line per event, fsync'd before append() resolves. Delivered lines are marked by a byte offset
 * in `outbox.offset`; once everything is delivered the file is truncated. A crash between a send
 * and its ack only means the batch is sent again (same event ids).
 * One process owns a directory at a time (`outbox.lock` holds its pid).
 */
export interface Outbox {
  readonly dir: string
  /** Records appended and not yet acked. */
  pending(): number
  append(records: OutboxRecord[]): Promise<void>
  /** Up to `max` of the oldest pending records, in append order. */
  peek(max: number): Promise<OutboxBatch>
  /** Marks a peeked batch delivered. Batches are acked in the order they were peeked. */
  ack(batch: OutboxBatch): Promise<void>
  close(): Promise<void>
}

const DATA = 'outbox.jsonl'
const OFFSET = 'outbox.offset'
const LOCK = 'outbox.lock'
const CHUNK = 1 << 20
const NEWLINE = 0x0a

// Directories this process holds, so a lock file with our own pid is told apart from one left by
// an earlier process that happened to get the same pid (pid 1 in every container).
const held = new Set<string>()

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function takeLock(dir: string): Promise<void> {
  if (held.has(dir)) throw new Error(`outbox ${dir} is already open in this process`)
  const path = join(dir, LOCK)
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10)
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new Error(`outbox ${dir} is in use by process ${pid}`)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await writeFile(path, String(process.pid))
  held.add(dir)
}

function isRecord(value: unknown): value is OutboxRecord {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.topic === 'string' &&
    typeof v.key === 'string' &&
    typeof v.value === 'string' &&
    typeof v.headers === 'object' &&
    v.headers !== null
  )
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const { bytesRead } = await file.read(buffer, read, length - read, position + read)
    if (bytesRead === 0) break
    read += bytesRead
  }
  return buffer.subarray(0, read)
}

export async function openOutbox(directory: string, parentLogger: Logger): Promise<Outbox> {
  const dir = resolve(directory)
  const logger = parentLogger.child({ component: 'outbox', dir })
  await mkdir(dir, { recursive: true })
  await takeLock(dir)
  const dataPath = join(dir, DATA)
  const offsetPath = join(dir, OFFSET)
  const file = await open(dataPath, 'a+')
  await fsyncDir(dir)

  let size = (await file.stat()).size
  // A crash in the middle of an append leaves a partial last line: that publish never resolved,
  // so dropping it loses nothing acknowledged, and the next append starts on a clean line.
  if (size > 0) {
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - CHUNK)
      const chunk = await readAt(file, start, end - start)
      const nl = chunk.lastIndexOf(NEWLINE)
      if (nl >= 0) {
        end = start + nl + 1
        break
      }
      end = start
    }
    if (end !== size) {
      logger.warn({ bytes: size - end }, 'outbox: dropping a partial last line left by a crash')
      await file.truncate(end)
      await file.sync()
      size = end
    }
  }

  let acked = 0
  try {
    const value = Number.parseInt(await readFile(offsetPath, 'utf8'), 10)
    const atLineStart =
      value === 0 || (value > 0 && value <= size && (await readAt(file, value - 1, 1))[0] === NEWLINE)
    // A bad offset (torn write, or the data file was truncated after the offset was written)
    // means replaying from the start: duplicates, never loss.
    if (Number.isInteger(value) && atLineStart) acked = value
    else logger.warn({ offset: value, size }, 'outbox: ignoring an offset that is not at a line start')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  let pending = 0
  for (let position = acked; position < size; position += CHUNK) {
    const chunk = await readAt(file, position, Math.min(CHUNK, size - position))
    for (const byte of chunk) if (byte === NEWLINE) pending++
  }
  if (pending > 0) logger.info({ pending }, 'outbox: found events left by a previous run')

  // append, peek and ack touch the same file and counters: one at a time.
  let tail: Promise<unknown> = Promise.resolve()
  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn, fn)
    tail = run.catch(() => {})
    return run
  }

  let closed = false

  return {
    dir,
    pending: () => pending,

    append(records) {
      return serially(async () => {
        if (closed) throw new Error('outbox is closed')
        if (records.length === 0) return
        const text = records.map((record) => `${JSON.stringify(record)}\n`).join('')
        const bytes = Buffer.from(text)
        try {
          await file.appendFile(bytes)
          await file.datasync()
        } catch (error) {
          // Leave no partial line behind for the next append to continue.
          await file.truncate(size).catch(() => {})
          throw error
        }
        size += bytes.length
        pending += records.length
      })
    },

    peek(max) {
      return serially(async () => {
        const records: OutboxRecord[] = []
        let lines = 0
        let position = acked
        let chunkSize = CHUNK
        while (records.length < max && position < size) {
          const chunk = await readAt(file, position, Math.min(chunkSize, size - position))
          let start = 0
          let consumed = 0
          while (records.length < max) {
            const nl = chunk.indexOf(NEWLINE, start)
            if (nl < 0) break
            const line = chunk.subarray(start, nl).toString('utf8')
            start = nl + 1
            consumed = start
            lines++
            try {
              const parsed: unknown = JSON.parse(line)
              if (!isRecord(parsed)) throw new Error('not an outbox record')
              records.push(parsed)
            } catch (error) {
              logger.error({ err: error, line: line.slice(0, 500) }, 'outbox: skipping a corrupt line')
            }
          }
          // A line longer than the chunk: read a bigger one.
          if (consumed === 0) chunkSize *= 2
          position += consumed
        }
        return { records, lines, end: position }
      })
    },

    ack(batch) {
      return serially(async () => {
        acked = batch.end
        pending -= batch.lines
        if (acked >= size) {
          // Everything delivered: start the file over. Truncate before dropping the offset; a crash
          // between the two leaves an offset past the end, which opening ignores.
          await file.truncate(0)
          await rm(offsetPath, { force: true })
          size = 0
          acked = 0
          pending = 0
          return
        }
        const temp = `${offsetPath}.tmp`
        await writeFile(temp, String(acked))
        await rename(temp, offsetPath)
      })
    },

    close() {
      return serially(async () => {
        if (closed) return
        closed = true
        await file.close()
        await rm(join(dir, LOCK), { force: true })
        held.delete(dir)
      })
    },
  }
}
