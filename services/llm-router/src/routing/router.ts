import type { SharedState } from '@switchyard/state'
import type { Logger } from 'pino'
import type { Alias, Catalog, Deployment } from '../catalog/schema.ts'
import type { UpstreamClient } from '../upstreams/provider.ts'
import type { ProviderRegistry } from '../upstreams/registry.ts'
import { DeploymentHealth } from './health.ts'
import { type Pick, strategies } from './strategies.ts'

/** Weight of a new TTFT sample in the moving average. */
const ewmaAlpha = 0.3

/** What the router tracks per deployment in this process: its client and live counters. */
export class DeploymentState {
  /** Replaced when a new catalog changes only routing settings (weight, timeouts, pricing). */
  deployment: Deployment
  readonly client: UpstreamClient
  /** Requests (streams included) on it right now. */
  inFlight = 0
  /** Smooth weighted round robin's running weight. */
  currentWeight = 0
  /** Moving average of time to first token, ms; undefined until a first sample. */
  ttftEwmaMs: number | undefined

  constructor(deployment: Deployment, client: UpstreamClient) {
    this.deployment = deployment
    this.client = client
  }

  observeTtft(ms: number): void {
    this.ttftEwmaMs =
      this.ttftEwmaMs === undefined ? ms : this.ttftEwmaMs + ewmaAlpha * (ms - this.ttftEwmaMs)
  }

  get saturated(): boolean {
    return this.inFlight >= this.deployment.maxConcurrency
  }
}

/** An alias as the router runs it: its catalog entry, the states of its deployments, its strategy. */
export interface AliasState {
  alias: Alias
  members: DeploymentState[]
  pick: Pick
}

export type Selection =
  | { kind: 'picked'; state: DeploymentState }
  /** Every deployment is held by a Retry-After; the earliest frees up at `until` (epoch ms). */
  | { kind: 'wait'; until: number }
  /** Nothing can serve: every deployment excluded, saturated or drained. */
  | { kind: 'none' }

export interface ModelRouterOptions {
  providers: ProviderRegistry
  state: SharedState
  logger: Logger
  now?: () => number
}

/**
 * The routing table: aliases, their deployments' clients and counters, and their health. The
 * catalog is swapped whole by applyCatalog; a deployment whose connection settings did not change
 * keeps its client (and its pool, counters and latency average) across the swap.
 */
export class ModelRouter {
  readonly health: DeploymentHealth
  readonly #providers: ProviderRegistry
  readonly #logger: Logger
  readonly #now: () => number
  #catalog: Catalog | undefined
  #aliases = new Map<string, AliasState>()
  #states = new Map<string, DeploymentState>()
  #modelsBody = '{"object":"list","data":[]}'
  /** When the current catalog was applied, Unix seconds: the `created` of every model. */
  createdAt = Math.floor(Date.now() / 1000)

  constructor(options: ModelRouterOptions) {
    this.#providers = options.providers
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.health = new DeploymentHealth({
      values: options.state.values,
      logger: options.logger,
      now: this.#now,
      cooldown: () => this.#catalog?.cooldown ?? { baseMs: 1_000, maxMs: 60_000 },
    })
  }

  get catalog(): Catalog | undefined {
    return this.#catalog
  }

  /** Swaps the catalog in; requests in flight finish on the clients they hold. */
  applyCatalog(catalog: Catalog): void {
    const states = new Map<string, DeploymentState>()
    for (const deployment of catalog.deployments.values()) {
      const previous = this.#states.get(deployment.id)
      if (previous !== undefined && sameConnection(previous.deployment, deployment)) {
        // The same object: requests in flight decrement the counters the new catalog reads.
        previous.deployment = deployment
        states.set(deployment.id, previous)
        continue
      }
      const provider = this.#providers[deployment.provider]
      if (provider === undefined) throw new Error(`no provider ${deployment.provider} for ${deployment.id}`)
      const client = provider.createClient(deployment, {
        logger: this.#logger.child({ deployment: deployment.id }),
      })
      states.set(deployment.id, new DeploymentState(deployment, client))
    }
    const aliases = new Map<string, AliasState>()
    for (const alias of catalog.aliases.values()) {
      aliases.set(alias.name, {
        alias,
        members: alias.deployments.map((d) => states.get(d.id) as DeploymentState),
        pick: strategies[alias.strategy],
      })
    }
    const retired = [...this.#states.values()].filter((s) => states.get(s.deployment.id) !== s)
    this.#catalog = catalog
    this.#states = states
    this.#aliases = aliases
    this.createdAt = Math.floor(Date.now() / 1000)
    this.#modelsBody = modelsBody(catalog, this.createdAt)
    this.health.retain(new Set(states.keys()))
    for (const state of retired) this.#retire(state)
  }

  alias(name: string): AliasState | undefined {
    return this.#aliases.get(name)
  }

  state(id: string): DeploymentState | undefined {
    return this.#states.get(id)
  }

  deploymentIds(): IterableIterator<string> {
    return this.#states.keys()
  }

  states(): IterableIterator<DeploymentState> {
    return this.#states.values()
  }

  /** `GET /v1/models`, serialized once per catalog. */
  modelsBody(): string {
    return this.#modelsBody
  }

  /**
   * Chooses a deployment of the alias. Healthy, unsaturated ones go through the alias's strategy;
   * when none is left, the one whose cooldown ends first is used anyway (a cooldown steers traffic
   * away, it does not refuse the last way to serve), except that a Retry-After is always honoured.
   */
  select(state: AliasState, exclude: ReadonlySet<string>): Selection {
    const now = this.#now()
    let usable: DeploymentState[] | undefined
    let fallback: DeploymentState | undefined
    let fallbackUntil = Number.POSITIVE_INFINITY
    let heldUntil = Number.POSITIVE_INFINITY
    for (const member of state.members) {
      if (member.deployment.weight === 0 || exclude.has(member.deployment.id) || member.saturated) continue
      const cooling = this.health.cooling(member.deployment.id, now)
      if (cooling === undefined) {
        usable ??= []
        usable.push(member)
      } else if (cooling.rateLimited) {
        heldUntil = Math.min(heldUntil, cooling.until)
      } else if (cooling.until < fallbackUntil) {
        fallback = member
        fallbackUntil = cooling.until
      }
    }
    if (usable !== undefined)
      return {
        kind: 'picked',
        state: usable.length === 1 ? (usable[0] as DeploymentState) : state.pick(usable),
      }
    if (fallback !== undefined) return { kind: 'picked', state: fallback }
    if (heldUntil !== Number.POSITIVE_INFINITY) return { kind: 'wait', until: heldUntil }
    return { kind: 'none' }
  }

  /** Closes every client (server shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#states.values()].map((s) => s.client.close()))
    this.#states.clear()
    this.#aliases.clear()
  }

  #retire(state: DeploymentState): void {
    // undici's close() lets requests in flight finish; a provider's close should do the same.
    state.client
      .close()
      .catch((err: unknown) =>
        this.#logger.warn({ err, deployment: state.deployment.id }, 'closing a retired deployment failed'),
      )
  }
}

/** Whether two versions of a deployment can share a client (pool, connect timeout, credentials). */
function sameConnection(a: Deployment, b: Deployment): boolean {
  return (
    a.provider === b.provider &&
    a.baseUrl === b.baseUrl &&
    a.model === b.model &&
    a.apiKey === b.apiKey &&
    a.maxConcurrency === b.maxConcurrency &&
    a.timeouts.connectMs === b.timeouts.connectMs &&
    JSON.stringify(a.headers) === JSON.stringify(b.headers) &&
    JSON.stringify(a.options) === JSON.stringify(b.options)
  )
}

function modelsBody(catalog: Catalog, created: number): string {
  const data = [...catalog.aliases.values()]
    .filter((alias) => alias.listed)
    .map((alias) => ({ id: alias.name, object: 'model', created, owned_by: 'switchyard' }))
  return JSON.stringify({ object: 'list', data })
}
