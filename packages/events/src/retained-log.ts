// What Kafka's log compaction keeps, for the in-process bus: each key's latest event of a compacted
// topic. With a file it outlives the process: admin's config is then there for the router after a
// restart of the one-process shape, as it is on Kafka.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from 'pino'

export interface RetainedLog<T> {
  /** Keeps `value` as the key's latest; resolves once it is in the file (when there is one). */
  keep(topic: string, key: string, value: T): Promise<void>
  /** The topic's latest value per key, oldest first. */
  events(topic: string): T[]
  /** Waits for the writes under way. */
  close(): Promise<void>
}

/**
 * Opens the log: the file's lines (`{ topic, key, value }`) are read, and rewritten with only each
 * key's latest, so the file grows only by the changes of one run. A line that does not parse (a
 * write cut short by a crash) is skipped.
 */
export function openRetainedLog<T>(file: string | undefined, logger: Logger): RetainedLog<T> {
  const topics = new Map<string, Map<string, T>>()
  const set = (topic: string, key: string, value: T) => {
    let keys = topics.get(topic)
    if (!keys) {
      keys = new Map()
      topics.set(topic, keys)
    }
    // Delete first, so the key moves to the end: the order is that of the latest changes.
    keys.delete(key)
    keys.set(key, value)
  }
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    let skipped = 0
    for (const line of text.split('\n')) {
      if (line === '') continue
      try {
        const { topic, key, value } = JSON.parse(line) as { topic: string; key: string; value: T }
        set(topic, key, value)
      } catch {
        skipped += 1
      }
    }
    if (skipped > 0) logger.warn({ file, skipped }, 'retained events: unreadable lines skipped')
    const lines = [...topics].flatMap(([topic, keys]) =>
      [...keys].map(([key, value]) => `${JSON.stringify({ topic, key, value })}\n`),
    )
    writeFileSync(`${file}.tmp`, lines.join(''), { mode: 0o600 })
    renameSync(`${file}.tmp`, file)
  }
  // One write at a time, in the order of the calls: the last line of a key is its latest.
  let writing: Promise<void> = Promise.resolve()
  return {
    keep(topic, key, value) {
      set(topic, key, value)
      if (file === undefined) return Promise.resolve()
      const line = `${JSON.stringify({ topic, key, value })}\n`
      const written = writing.then(() => appendFile(file, line, { mode: 0o600 }))
      writing = written.catch(() => {})
      return written
    },
    events: (topic) => [...(topics.get(topic)?.values() ?? [])],
    close: () => writing,
  }
}
