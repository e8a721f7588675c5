/**
 * Append-only logs shared by replicas (a chat message's stream of events): one replica appends,
 * any replica reads what follows a position, or waits for it. A log keeps its newest entries only
 * and expires as a whole some time after its last append.
 */
export interface EventLogs {
  /**
   * Appends `data` to the log at `key`, drops its oldest entries past `maxLen` and renews its
   * lifetime, in one step. Answers the entry's id: ids are opaque strings that only this
   * implementation reads back, each after every id handed out before it in the same log.
   */
  append(key: string, data: string, options: AppendOptions): Promise<string>
  /**
   * Entries after `afterId` (exclusive; `logStart` for the first one on), oldest first, at most
   * `count` (default 100). A log that never was or has expired reads as empty. Rejects
   * (RangeError) on an id this implementation did not make.
   */
  read(key: string, afterId: string, count?: number): Promise<LogEntry[]>
  /**
   * As `read`, but when nothing follows `afterId` yet it waits up to `timeoutMs` for an append,
   * from any replica, and answers `[]` if none came. Answers `[]` once the state is closed.
   */
  readBlocking(key: string, afterId: string, timeoutMs: number, count?: number): Promise<LogEntry[]>
}

/** The position before a log's first entry. */
export const logStart = '0'

export interface AppendOptions {
  /** Entries kept: the oldest are dropped past it. A positive integer. */
  maxLen: number
  /** Milliseconds until the whole log expires, counted from this append. */
  ttlMs: number
}

/** One log entry: its id and the data appended. */
export interface LogEntry {
  id: string
  data: string
}
