import type { Logger } from 'pino'
import type { RunsRepository } from './repository.ts'

export interface RetentionOptions {
  repo: RunsRepository
  logger: Logger
  /** Finished runs older than this go, milliseconds; 0 keeps every run. */
  retentionMs: number
  intervalMs: number
  now: () => number
}

/**
 * Deletes finished runs (and their steps) older than the retention, so the tables do not grow
 * forever. Runs that wait for approval or still run are never touched. `sweep` runs one pass.
 */
export function createRetention(o: RetentionOptions) {
  const sweep = async (): Promise<number> => {
    if (o.retentionMs === 0) return 0
    const deleted = await o.repo.deleteFinishedBefore(o.now() - o.retentionMs)
    if (deleted > 0) o.logger.info({ deleted }, 'old finished runs deleted')
    return deleted
  }
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => o.logger.warn({ err }, 'run retention sweep failed'))
  }, o.intervalMs)
  timer.unref()
  return { sweep, stop: () => clearInterval(timer) }
}
