import { readFileSync } from 'node:fs'
import type { Static, TObject, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { parse as parseYaml } from 'yaml'
import { CoercionError, coerce } from './coerce.ts'
import { describeSchema } from './describe.ts'

/** One invalid or missing key and why. */
export interface ConfigIssue {
  /** The env name at fault, e.g. `RAG_TOP_K`, `RAG_API_KEY_FILE` or `SWITCHYARD_CONFIG_FILE`. */
  key: string
  message: string
}

/** Every problem found in one configuration, listed together so one restart fixes them all. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  ${issue.key}: ${issue.message}`)
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`
    super(`Invalid configuration (${count}):\n${lines.join('\n')}`)
    this.issues = issues
  }
}

export interface LoadConfigOptions {
  /** YAML file whose values sit under the environment. Default: env.SWITCHYARD_CONFIG_FILE, if set. */
  file?: string | undefined
}

/** The env key naming the optional YAML config file. */
export const configFileKey = 'SWITCHYARD_CONFIG_FILE'

type Env = Readonly<Record<string, string | undefined>>
type Source = { value: unknown; from: 'env' | 'file' | 'yaml' | 'default' }

/**
 * Reads one service's configuration. For each key of the schema the first of these wins: `NAME` from
 * env, the file named by `NAME_FILE` (a mounted secret; not when the schema has a `NAME_FILE` key of
 * its own), `NAME` in the YAML file, the schema default.
 * Empty strings count as unset; text is coerced to what the schema asks for; keys the schema does not
 * name are ignored, since env and a shared YAML file carry every service's keys.
 *
 * @throws ConfigError listing every invalid or missing key at once.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Env,
  options: LoadConfigOptions = {},
): Static<S> {
  const issues: ConfigIssue[] = []
  const yaml = readYaml(options.file ?? unset(env[configFileKey]), issues)
  const required = new Set<string>(schema.required ?? [])
  const properties = schema.properties as Record<string, TSchema>
  const result: Record<string, unknown> = {}

  for (const [key, property] of Object.entries(properties)) {
    // A key the schema names itself (e.g. LLM_ROUTER_MODELS_FILE, a catalog's path) keeps its own
    // meaning: it is not also the secret file of the key its name starts with.
    const fileKey = Object.hasOwn(properties, `${key}_FILE`) ? undefined : `${key}_FILE`
    const source = pick(key, fileKey, property, env, yaml, issues)
    if (source === null) continue
    if (source === undefined) {
      if (required.has(key)) issues.push({ key, message: `missing; expected ${describeSchema(property)}` })
      continue
    }
    let value: unknown
    try {
      value = coerce(property, source.value)
    } catch (error) {
      if (!(error instanceof CoercionError)) throw error
      issues.push({ key, message: error.message })
      continue
    }
    if (!Value.Check(property, value)) {
      issues.push({ key, message: `expected ${describeSchema(property)}, got ${show(property, source)}` })
      continue
    }
    result[key] = value
  }

  if (issues.length > 0) throw new ConfigError(issues)
  return result as Static<S>
}

/** Where a key's value comes from; undefined when unset everywhere, null when an issue was recorded. */
function pick(
  key: string,
  fileKey: string | undefined,
  property: TSchema,
  env: Env,
  yaml: Record<string, unknown>,
  issues: ConfigIssue[],
): Source | undefined | null {
  const direct = unset(env[key])
  const path = fileKey === undefined ? undefined : unset(env[fileKey])
  if (direct !== undefined && fileKey !== undefined && path !== undefined) {
    issues.push({ key, message: `both ${key} and ${fileKey} are set; set one` })
    return null
  }
  if (direct !== undefined) return { value: direct, from: 'env' }
  if (fileKey !== undefined && path !== undefined) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      issues.push({ key: fileKey, message: `cannot read ${path}: ${reason(error)}` })
      return null
    }
    // Secrets written with `echo` or an editor end in a newline that is not part of the value.
    const value = unset(text.replace(/(?:\r?\n)+$/, ''))
    if (value !== undefined) return { value, from: 'file' }
  }
  const fromYaml = yaml[key]
  if (fromYaml !== undefined && fromYaml !== null && fromYaml !== '') return { value: fromYaml, from: 'yaml' }
  if ('default' in property) return { value: structuredClone(property.default), from: 'default' }
  return undefined
}

function readYaml(path: string | undefined, issues: ConfigIssue[]): Record<string, unknown> {
  if (path === undefined) return {}
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    issues.push({ key: configFileKey, message: `cannot read ${path}: ${reason(error)}` })
    return {}
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (error) {
    issues.push({ key: configFileKey, message: `invalid YAML in ${path}: ${reason(error)}` })
    return {}
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push({ key: configFileKey, message: `${path} must hold a mapping of NAME: value` })
    return {}
  }
  return doc as Record<string, unknown>
}

function unset(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function reason(error: unknown): string {
  if (error instanceof Error)
    return (error as NodeJS.ErrnoException).code ?? error.message.split('\n')[0] ?? ''
  return String(error)
}

/**
 * The offending value, quoted, unless it may be a secret: values read from `_FILE` and values of
 * string keys (passwords, tokens, URLs with credentials) are described by their length only.
 */
function show(property: TSchema, source: Source): string {
  const secretish = source.from === 'file' || (property as { type?: unknown }).type === 'string'
  if (secretish) {
    const length = typeof source.value === 'string' ? source.value.length : String(source.value).length
    return `a value of ${length} characters (not shown)`
  }
  const text = JSON.stringify(source.value) ?? String(source.value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
