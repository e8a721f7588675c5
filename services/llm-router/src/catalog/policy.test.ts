import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AdminConfigV1 } from '@switchyard/contracts'
import { createMemoryState } from '@switchyard/state'
import { pino } from 'pino'
import { describe, expect, onTestFinished, test } from 'vitest'
import { createAdminConfigApplier } from '../admin-config/subscriber.ts'
import { ModelRouter } from '../routing/router.ts'
import { providers } from '../upstreams/registry.ts'
import { buildCatalog, CatalogError } from './load.ts'
import { adminCatalogPolicy, type CatalogPolicy, operatorCatalogPolicy } from './policy.ts'

const logger = pino({ level: 'silent' })

/** A secrets dir holding `key`, and a file outside it. */
function secrets() {
  const root = mkdtempSync(join(tmpdir(), 'router-secrets-'))
  const dir = join(root, 'secrets')
  mkdirSync(dir)
  writeFileSync(join(dir, 'key'), 'sk-inside\n')
  const outside = join(root, 'elsewhere')
  writeFileSync(outside, 'sk-outside\n')
  symlinkSync(outside, join(dir, 'link-out'))
  return { dir, outside }
}

const openai = (extra: Record<string, unknown>) => ({
  models: {
    m: {
      deployments: [{ id: 'd', provider: 'openai', model: 'm', baseUrl: 'http://vllm:8000/v1', ...extra }],
    },
  },
})

function issuesOf(doc: unknown, policy: CatalogPolicy): readonly string[] {
  try {
    buildCatalog(doc, { providers, policy })
    return []
  } catch (error) {
    if (error instanceof CatalogError) return error.issues
    throw error
  }
}

describe('secret files', () => {
  test('apiKeyFile is read only inside LLM_ROUTER_SECRETS_DIR: not beside it, not through .. or a symlink', () => {
    const { dir, outside } = secrets()
    const policy = operatorCatalogPolicy({ LLM_ROUTER_SECRETS_DIR: dir })
    const inside = buildCatalog(openai({ apiKeyFile: join(dir, 'key') }), { providers, policy })
    expect(inside.deployments.get('d')?.apiKey).toBe('sk-inside')
    for (const path of [outside, join(dir, '..', 'elsewhere'), join(dir, 'link-out'), '/etc/hostname']) {
      const issues = issuesOf(openai({ apiKeyFile: path }), policy)
      expect(issues, path).toHaveLength(1)
      expect(issues[0]).toContain('LLM_ROUTER_SECRETS_DIR')
      expect(issues[0]).not.toContain('sk-outside')
    }
  })
})

describe('upstream hosts', () => {
  test('a baseUrl is http or https', () => {
    const policy = operatorCatalogPolicy({})
    for (const baseUrl of ['file:///etc/passwd', 'ftp://vllm/v1', 'unix:/var/run/x.sock'])
      expect(issuesOf(openai({ baseUrl }), policy), baseUrl).toEqual([
        expect.stringContaining('http or https'),
      ])
  })

  test('LLM_ROUTER_UPSTREAM_HOSTS: host, host:port and *.domain entries; others are refused', () => {
    const policy = operatorCatalogPolicy({
      LLM_ROUTER_UPSTREAM_HOSTS: ['vllm', 'ollama:11434', '*.models.internal'],
    })
    for (const baseUrl of [
      'http://vllm:8000/v1',
      'http://ollama:11434',
      'https://a.models.internal/v1',
      'http://VLLM/v1',
    ])
      expect(issuesOf(openai({ baseUrl }), policy), baseUrl).toEqual([])
    for (const baseUrl of [
      'http://ollama:11435',
      'https://api.attacker.example/v1',
      'http://models.internal.attacker.example/v1',
      'http://vllm.evil/v1',
    ])
      expect(issuesOf(openai({ baseUrl }), policy), baseUrl).toEqual([
        expect.stringContaining('LLM_ROUTER_UPSTREAM_HOSTS'),
      ])
  })
})

describe("admin's catalogs", () => {
  function applier(config: Record<string, unknown>, start: unknown) {
    const state = createMemoryState()
    onTestFinished(() => state.close())
    const router = new ModelRouter({ providers, state, logger })
    onTestFinished(() => router.close())
    const operator = operatorCatalogPolicy(config)
    const catalog = buildCatalog(start, { providers, policy: operator })
    router.applyCatalog(catalog)
    const apply = createAdminConfigApplier({
      router,
      providers,
      logger,
      policy: adminCatalogPolicy(config, catalog),
    })
    let version = 0
    // Admin announces one alias per event: each document here holds one.
    const push = (doc: { models: Record<string, unknown> }) => {
      const [alias, model] = Object.entries(doc.models)[0] as [string, unknown]
      return apply({
        kind: 'routes',
        orgId: null,
        version: ++version,
        payload: { alias, model },
      } satisfies AdminConfigV1)
    }
    return { router, push }
  }

  test('unset, the hosts allowed are those of the operator’s own catalog and loopback', () => {
    const { push, router } = applier({}, openai({ baseUrl: 'http://vllm:8000/v1' }))
    expect(push(openai({ baseUrl: 'http://vllm:8000/v1' }))).toBe('applied')
    expect(push(openai({ baseUrl: 'http://127.0.0.1:11434' }))).toBe('applied')
    expect(push(openai({ baseUrl: 'https://api.attacker.example/v1' }))).toBe('invalid')
    expect(router.catalog?.deployments.get('d')?.baseUrl).toBe('http://127.0.0.1:11434')
  })

  test('set, it is the list for admin’s catalogs too', () => {
    const { push } = applier(
      { LLM_ROUTER_UPSTREAM_HOSTS: ['vllm', 'ollama'] },
      openai({ baseUrl: 'http://vllm:8000/v1' }),
    )
    expect(push(openai({ baseUrl: 'http://ollama:11434' }))).toBe('applied')
    expect(push(openai({ baseUrl: 'http://127.0.0.1:11434' }))).toBe('invalid')
  })

  test('a local deployment from admin cannot choose where a model is downloaded from or to', () => {
    const local = (options: Record<string, unknown>) => ({
      models: { l: { deployments: [{ id: 'l', provider: 'local', model: 'model.gguf', options }] } },
    })
    const { push } = applier({}, openai({}))
    expect(push(local({ modelPath: '/var/cache/switchyard/models/model.gguf' }))).toBe('applied')
    for (const options of [
      { modelPath: 'https://attacker.example/x.gguf' },
      { modelPath: 'hf:attacker/repo/x.gguf' },
      { modelsDir: '/etc' },
      { huggingFaceEndpoint: 'https://attacker.example' },
    ])
      expect(push(local(options)), JSON.stringify(options)).toBe('invalid')
    // The operator's own catalog may.
    expect(
      issuesOf(local({ modelPath: 'hf:org/repo/x.gguf', modelsDir: '/models' }), operatorCatalogPolicy({})),
    ).toEqual([])
  })
})
