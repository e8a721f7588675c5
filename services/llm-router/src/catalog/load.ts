import { readFileSync } from 'node:fs'
import { Compile } from 'typebox/compile'
import { parse as parseYaml } from 'yaml'
import type { Provider } from '../upstreams/provider.ts'
import { baseUrlIssue, type CatalogPolicy, secretFilePath } from './policy.ts'
import {
  type Alias,
  type Catalog,
  CatalogSpec,
  type CooldownPolicy,
  type Deployment,
  type DeploymentSpec,
  type Pricing,
  type RetryPolicy,
  type Timeouts,
} from './schema.ts'

/** Every problem of a catalog, listed together so one edit fixes them all. */
export class CatalogError extends Error {
  override name = 'CatalogError'
  readonly issues: readonly string[]
  constructor(source: string, issues: readonly string[]) {
    super(`Invalid model catalog (${source}):\n${issues.map((issue) => `  ${issue}`).join('\n')}`)
    this.issues = issues
  }
}

const defaultTimeouts: Timeouts = { connectMs: 5_000, ttftMs: 30_000, idleMs: 30_000, totalMs: 600_000 }
const defaultRetry: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
}
const defaultCooldown: CooldownPolicy = { baseMs: 1_000, maxMs: 60_000 }
const free: Pricing = { inputPerMillion: 0, outputPerMillion: 0 }

const checkSpec = Compile(CatalogSpec)

export interface LoadCatalogOptions {
  /** The provider registry: a deployment must name one of its keys. */
  providers: Readonly<Record<string, Provider>>
  /** Reads `apiKeyFile`; tests pass a stub. */
  readFile?: (path: string) => string
  /**
   * What the catalog may ask of this machine (src/catalog/policy.ts): the router passes the
   * operator's or admin's; absent (tests of the format), any file and any http(s) host.
   */
  policy?: CatalogPolicy
}

const unconfined: CatalogPolicy = { secretsDir: '/', upstreamHosts: undefined, localDownloads: true }

/** Reads and validates the YAML (or JSON) catalog file at `path`. */
export function loadCatalogFile(path: string, options: LoadCatalogOptions): Catalog {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CatalogError(path, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`])
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (error) {
    throw new CatalogError(path, [`invalid YAML: ${(error as Error).message.split('\n')[0]}`])
  }
  return buildCatalog(doc, options, path)
}

/**
 * Validates a catalog given as data (parsed YAML, inline config, an admin.config payload) and fills
 * in every default. Throws CatalogError listing every problem.
 */
export function buildCatalog(doc: unknown, options: LoadCatalogOptions, source = 'inline'): Catalog {
  if (!checkSpec.Check(doc)) {
    const issues = checkSpec.Errors(doc).map((e) => `${e.instancePath || '/'} ${e.message}`)
    throw new CatalogError(source, [...new Set(issues)].slice(0, 50))
  }
  const spec = doc
  const issues: string[] = []
  const defaults = spec.defaults ?? {}
  const cooldown: CooldownPolicy = { ...defaultCooldown, ...defaults.cooldown }
  if (cooldown.maxMs < cooldown.baseMs) issues.push('/defaults/cooldown maxMs must be at least baseMs')
  const aliases = new Map<string, Alias>()
  const deployments = new Map<string, Deployment>()
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'))

  for (const [name, aliasSpec] of Object.entries(spec.models)) {
    const where = `/models/${name}`
    const timeouts = { ...defaultTimeouts, ...defaults.timeouts, ...aliasSpec.timeouts }
    const pricing = aliasSpec.pricing ?? defaults.pricing ?? free
    const retry: RetryPolicy = { ...defaultRetry, ...defaults.retry, ...aliasSpec.retry }
    const members: Deployment[] = []
    aliasSpec.deployments.forEach((d, index) => {
      const at = `${where}/deployments/${index}`
      const deployment = normalizeDeployment(d, timeouts, pricing, at, options, readFile, issues)
      if (deployments.has(d.id)) issues.push(`${at}/id '${d.id}' is used twice; deployment ids are unique`)
      deployments.set(d.id, deployment)
      members.push(deployment)
    })
    if (members.every((d) => d.weight === 0))
      issues.push(`${where}/deployments every deployment has weight 0: nothing could serve the alias`)
    const maxPricing = {
      inputPerMillion: Math.max(...members.map((d) => d.pricing.inputPerMillion)),
      outputPerMillion: Math.max(...members.map((d) => d.pricing.outputPerMillion)),
    }
    aliases.set(name, {
      name,
      strategy: aliasSpec.strategy ?? defaults.strategy ?? 'weighted-round-robin',
      deployments: members,
      fallbacks: aliasSpec.fallbacks ?? [],
      fallbacksOn: aliasSpec.fallbacksOn ?? {},
      retry,
      listed: aliasSpec.listed ?? true,
      maxPricing,
    })
  }

  for (const alias of aliases.values()) {
    const named = [
      ...alias.fallbacks.map((f) => ['fallbacks', f] as const),
      ...Object.entries(alias.fallbacksOn).flatMap(([cls, list]) =>
        (list ?? []).map((f) => [`fallbacksOn/${cls}`, f] as const),
      ),
    ]
    for (const [field, target] of named) {
      if (target === alias.name) issues.push(`/models/${alias.name}/${field} names the alias itself`)
      else if (!aliases.has(target))
        issues.push(`/models/${alias.name}/${field} names unknown alias '${target}'`)
    }
  }

  if (issues.length > 0) throw new CatalogError(source, issues)
  return { aliases, deployments, cooldown }
}

function normalizeDeployment(
  d: DeploymentSpec,
  timeouts: Timeouts,
  pricing: Pricing,
  at: string,
  options: LoadCatalogOptions,
  readFile: (path: string) => string,
  issues: string[],
): Deployment {
  const provider = options.providers[d.provider]
  if (provider === undefined) {
    const known = Object.keys(options.providers).join(', ')
    issues.push(`${at}/provider '${d.provider}' is not a provider (known: ${known})`)
  } else if (provider.needsBaseUrl && d.baseUrl === undefined) {
    issues.push(`${at}/baseUrl is required for provider ${d.provider}`)
  }
  const policy = options.policy ?? unconfined
  const urlIssue = d.baseUrl === undefined ? undefined : baseUrlIssue(d.baseUrl, policy)
  if (urlIssue !== undefined) issues.push(`${at}/baseUrl ${urlIssue}`)
  for (const issue of provider?.optionIssues?.(d.options ?? {}, d.model, policy) ?? [])
    issues.push(`${at}/${issue}`)
  if (d.apiKey !== undefined && d.apiKeyFile !== undefined)
    issues.push(`${at} set apiKey or apiKeyFile, not both`)
  let apiKey = d.apiKey
  if (d.apiKeyFile !== undefined) {
    const secret =
      options.policy === undefined ? { path: d.apiKeyFile } : secretFilePath(d.apiKeyFile, policy)
    if ('issue' in secret) issues.push(`${at}/apiKeyFile ${secret.issue}`)
    else {
      try {
        apiKey = readFile(secret.path).replace(/(?:\r?\n)+$/, '')
      } catch (error) {
        issues.push(`${at}/apiKeyFile cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`)
      }
    }
  }
  const merged = { ...timeouts, ...d.timeouts }
  return {
    id: d.id,
    provider: d.provider,
    baseUrl: (d.baseUrl ?? '').replace(/\/+$/, ''),
    model: d.model,
    apiKey,
    headers: d.headers ?? {},
    weight: d.weight ?? 1,
    maxConcurrency: d.maxConcurrency ?? Number.POSITIVE_INFINITY,
    timeouts: merged,
    pricing: d.pricing ?? pricing,
    options: d.options ?? {},
  }
}
