// What a catalog may ask of the machine the router runs on: which secret files it may read, which
// hosts its deployments' keys are sent to, and (local models) where a model is downloaded from and
// to. The operator's own catalog (LLM_ROUTER_MODELS_FILE, LLM_ROUTER_MODELS) is the operator's word;
// admin's (admin.config.v1) is held to what the operator allows, so that a stolen admin session
// cannot read the router's files, send a key to a host of its choosing or fill a disk.
import { realpathSync } from 'node:fs'
import { sep } from 'node:path'
import type { LlmRouterConfig } from '../config.ts'
import type { Catalog } from './schema.ts'

export interface CatalogPolicy {
  /** `apiKeyFile` must resolve (symlinks followed) to a file inside this directory. */
  secretsDir: string
  /** Hosts a `baseUrl` may name (`host`, `host:port`, `*.domain`, `*`); undefined: any. */
  upstreamHosts: readonly string[] | undefined
  /** Whether local deployments may choose where models download from and to (`modelsDir`, URIs). */
  localDownloads: boolean
}

/** Where secret files are mounted when LLM_ROUTER_SECRETS_DIR is unset (Docker's and Kubernetes' /run/secrets). */
export const defaultSecretsDir = '/run/secrets'
const loopback = ['localhost', '127.0.0.1', '[::1]']

type PolicyConfig = Pick<LlmRouterConfig, 'LLM_ROUTER_SECRETS_DIR' | 'LLM_ROUTER_UPSTREAM_HOSTS'>

/** The operator's own catalog: hosts checked only against an explicit LLM_ROUTER_UPSTREAM_HOSTS. */
export function operatorCatalogPolicy(config: PolicyConfig): CatalogPolicy {
  return {
    secretsDir: config.LLM_ROUTER_SECRETS_DIR ?? defaultSecretsDir,
    upstreamHosts: config.LLM_ROUTER_UPSTREAM_HOSTS,
    localDownloads: true,
  }
}

/**
 * Admin's catalogs: LLM_ROUTER_UPSTREAM_HOSTS, else the hosts of the operator's catalog and
 * loopback; models only from files the operator put there.
 */
export function adminCatalogPolicy(config: PolicyConfig, operatorCatalog: Catalog): CatalogPolicy {
  const own = [...operatorCatalog.deployments.values()].flatMap((d) =>
    d.baseUrl === '' ? [] : [new URL(d.baseUrl).host],
  )
  return {
    secretsDir: config.LLM_ROUTER_SECRETS_DIR ?? defaultSecretsDir,
    upstreamHosts: config.LLM_ROUTER_UPSTREAM_HOSTS ?? [...new Set([...loopback, ...own])],
    localDownloads: false,
  }
}

/** Why `baseUrl` may not be used, or undefined. */
export function baseUrlIssue(baseUrl: string, policy: CatalogPolicy): string | undefined {
  if (!URL.canParse(baseUrl)) return 'is not a URL'
  const url = new URL(baseUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `must be http or https, not ${url.protocol}`
  if (policy.upstreamHosts === undefined || hostAllowed(url, policy.upstreamHosts)) return undefined
  return `names host ${url.host}, not in LLM_ROUTER_UPSTREAM_HOSTS (${policy.upstreamHosts.join(', ') || 'empty'})`
}

/** `host` matches any port, `host:port` that port only, `*.domain` any subdomain, `*` anything. */
function hostAllowed(url: URL, patterns: readonly string[]): boolean {
  const host = url.hostname.toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return patterns.some((raw) => {
    const pattern = raw.trim().toLowerCase()
    if (pattern === '*') return true
    // An IPv6 entry keeps its brackets, as URL.hostname does.
    const colon = pattern.lastIndexOf(':')
    const hasPort = colon > pattern.lastIndexOf(']')
    const name = hasPort ? pattern.slice(0, colon) : pattern
    if (hasPort && pattern.slice(colon + 1) !== port) return false
    if (name.startsWith('*.')) return host.endsWith(name.slice(1))
    return host === name
  })
}

/**
 * The real path of `file` when it is inside the secrets directory (both resolved, symlinks
 * followed), else why not. The message never quotes the file's content.
 */
export function secretFilePath(file: string, policy: CatalogPolicy): { path: string } | { issue: string } {
  let dir: string
  try {
    dir = realpathSync(policy.secretsDir)
  } catch {
    return { issue: `is refused: LLM_ROUTER_SECRETS_DIR (${policy.secretsDir}) does not exist` }
  }
  let real: string
  try {
    real = realpathSync(file)
  } catch (error) {
    return { issue: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}` }
  }
  if (!real.startsWith(dir + sep))
    return { issue: `is outside LLM_ROUTER_SECRETS_DIR (${policy.secretsDir}): refused` }
  return { path: real }
}
