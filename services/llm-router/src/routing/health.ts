// Passive health: a failing deployment cools down for a time that doubles with each consecutive
// failure; a 429 keeps it out at least for its Retry-After. Decisions are read from a local copy,
// never from the shared state on the request path (a Redis round trip per request would cost more
// than the router's whole budget); writes go to the shared state at once and other replicas' writes
// are read back every sync interval.
import type { ExpiringValues } from '@switchyard/state'
import type { Logger } from 'pino'
import type { CooldownPolicy } from '../catalog/schema.ts'

export interface HealthEntry {
  /** Epoch ms until which the deployment is out. */
  until: number
  /** Consecutive failures so far (the next cooldown doubles). */
  failures: number
  /** The cooldown is (at least in part) a 429's Retry-After: the deployment is not used even when nothing else is left. */
  rateLimited: boolean
}

export interface FailureReport {
  /** The upstream's Retry-After, ms (429). */
  retryAfterMs?: number | undefined
  rateLimited: boolean
}

const keyPrefix = 'llm-router:health:'

export interface DeploymentHealthOptions {
  /** Cooldowns shared by replicas. */
  values: ExpiringValues
  logger: Logger
  cooldown: () => CooldownPolicy
  now?: () => number
}

export class DeploymentHealth {
  readonly #entries = new Map<string, HealthEntry>()
  readonly #values: ExpiringValues
  readonly #logger: Logger
  readonly #policy: () => CooldownPolicy
  readonly #now: () => number

  constructor(options: DeploymentHealthOptions) {
    this.#values = options.values
    this.#logger = options.logger
    this.#policy = options.cooldown
    this.#now = options.now ?? Date.now
  }

  /** The entry while the deployment is cooling down, else undefined. */
  cooling(id: string, now = this.#now()): HealthEntry | undefined {
    const entry = this.#entries.get(id)
    return entry !== undefined && entry.until > now ? entry : undefined
  }

  entry(id: string): HealthEntry | undefined {
    return this.#entries.get(id)
  }

  /**
   * Puts the deployment out for `baseMs * 2^(failures-1)` (capped), or its Retry-After if longer.
   * A new failure never shortens a cooldown already running, here or in the shared state.
   */
  recordFailure(id: string, report: FailureReport): HealthEntry {
    const now = this.#now()
    const entry = this.#merge(id, this.#next(this.#entries.get(id), report, now), now)
    void this.#publish(id, report, now)
    return entry
  }

  /** A success ends the cooldown and resets the failure count (it proved the deployment answers). */
  recordSuccess(id: string): void {
    const entry = this.#entries.get(id)
    if (entry === undefined) return
    // A Retry-After still running is the upstream's word: keep it.
    if (entry.rateLimited && entry.until > this.#now()) return
    this.#entries.delete(id)
    this.#values
      .del(keyPrefix + id)
      .catch((err: unknown) =>
        this.#logger.warn({ err, deployment: id }, 'health: clearing the shared cooldown failed'),
      )
  }

  /** Reads every deployment's shared entry and keeps the later cooldown of the two. */
  async sync(ids: Iterable<string>): Promise<void> {
    const now = this.#now()
    await Promise.all(
      [...ids].map(async (id) => {
        const shared = parseEntry(await this.#values.get(keyPrefix + id))
        if (shared === undefined) {
          // Cleared elsewhere (a success on another replica) and not failing here either.
          const local = this.#entries.get(id)
          if (local !== undefined && local.until <= now) this.#entries.delete(id)
          return
        }
        this.#merge(id, shared, now)
      }),
    )
  }

  /** Forgets deployments that left the catalog. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id)
  }

  #next(previous: HealthEntry | undefined, report: FailureReport, now: number): HealthEntry {
    const policy = this.#policy()
    // Failures count as consecutive while the last cooldown is recent: within maxMs after it ended.
    const streak = previous !== undefined && previous.until + policy.maxMs > now ? previous.failures : 0
    const failures = streak + 1
    const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 30))
    const hold = report.rateLimited ? Math.max(backoff, report.retryAfterMs ?? 0) : backoff
    return { until: now + hold, failures, rateLimited: report.rateLimited }
  }

  #merge(id: string, candidate: HealthEntry, now: number): HealthEntry {
    const current = this.#entries.get(id)
    if (current === undefined) {
      this.#entries.set(id, candidate)
      return candidate
    }
    const currentActive = current.until > now
    const merged: HealthEntry = {
      until: Math.max(current.until, candidate.until),
      failures: Math.max(current.failures, candidate.failures),
      rateLimited: (current.rateLimited && currentActive) || candidate.rateLimited,
    }
    this.#entries.set(id, merged)
    return merged
  }

  /**
   * Writes the later of the shared entry and this failure's cooldown. Not atomic across replicas:
   * two replicas failing at once may each write theirs, and either way the deployment is out.
   */
  async #publish(id: string, report: FailureReport, now: number): Promise<void> {
    try {
      const key = keyPrefix + id
      const shared = parseEntry(await this.#values.get(key))
      const local = this.#entries.get(id)
      if (local === undefined) return
      const merged =
        shared === undefined
          ? local
          : {
              until: Math.max(shared.until, local.until),
              failures: Math.max(shared.failures, local.failures),
              rateLimited: report.rateLimited || (shared.rateLimited && shared.until > now),
            }
      if (shared !== undefined && shared.until > local.until) this.#merge(id, shared, now)
      // Kept past the cooldown so the next failure still counts as consecutive.
      const ttl = Math.max(1, merged.until - now) + this.#policy().maxMs
      await this.#values.set(key, JSON.stringify(merged), ttl)
    } catch (err) {
      this.#logger.warn({ err, deployment: id }, 'health: writing the shared cooldown failed')
    }
  }
}

function parseEntry(text: string | null): HealthEntry | undefined {
  if (text === null) return undefined
  try {
    const value = JSON.parse(text) as Partial<HealthEntry>
    if (typeof value.until !== 'number' || typeof value.failures !== 'number') return undefined
    return { until: value.until, failures: value.failures, rateLimited: value.rateLimited === true }
  } catch {
    return undefined
  }
}
