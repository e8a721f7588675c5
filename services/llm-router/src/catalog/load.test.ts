import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { providers } from '../upstreams/registry.ts'
import { buildCatalog, CatalogError, loadCatalogFile } from './load.ts'

const yaml = `
defaults:
  timeouts: { connectMs: 2000, ttftMs: 15000 }
  retry: { maxAttempts: 4 }
models:
  llama-3.1-8b:
    strategy: least-in-flight
    pricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 }
    deployments:
      - id: vllm-a
        provider: openai
        baseUrl: http://vllm-a:8000/v1/
        model: meta-llama/Llama-3.1-8B-Instruct
        weight: 3
        maxConcurrency: 64
        apiKeyFile: KEYFILE
      - id: ollama-b
        provider: ollama
        baseUrl: http://ollama:11434
        model: llama3.1:8b
        timeouts: { ttftMs: 60000 }
        pricing: { inputPerMillion: 0, outputPerMillion: 0 }
    fallbacks: [llama-3.1-70b]
    fallbacksOn:
      context_length_exceeded: [llama-3.1-70b]
  llama-3.1-70b:
    listed: false
    deployments:
      - { id: vllm-big, provider: openai, baseUrl: "http://vllm-big:8000/v1", model: big }
`

describe('loading the catalog', () => {
  test('a YAML file with defaults layered under alias and deployment settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'))
    const keyFile = join(dir, 'key')
    writeFileSync(keyFile, 'sk-secret\n')
    const file = join(dir, 'models.yaml')
    writeFileSync(file, yaml.replace('KEYFILE', keyFile))
    const catalog = loadCatalogFile(file, { providers })
    const alias = catalog.aliases.get('llama-3.1-8b')
    expect(alias).toMatchObject({
      strategy: 'least-in-flight',
      fallbacks: ['llama-3.1-70b'],
      fallbacksOn: { context_length_exceeded: ['llama-3.1-70b'] },
      retry: { maxAttempts: 4, baseDelayMs: 100 },
      listed: true,
      maxPricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
    })
    expect(catalog.deployments.get('vllm-a')).toMatchObject({
      baseUrl: 'http://vllm-a:8000/v1',
      apiKey: 'sk-secret',
      weight: 3,
      maxConcurrency: 64,
      timeouts: { connectMs: 2000, ttftMs: 15000, idleMs: 30_000, totalMs: 600_000 },
      pricing: { inputPerMillion: 0.2, outputPerMillion: 0.6 },
    })
    expect(catalog.deployments.get('ollama-b')).toMatchObject({
      weight: 1,
      maxConcurrency: Number.POSITIVE_INFINITY,
      timeouts: { ttftMs: 60000, connectMs: 2000 },
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
    })
    expect(catalog.aliases.get('llama-3.1-70b')?.listed).toBe(false)
  })

  test('schema errors are refused with their paths', () => {
    const error = (() => {
      try {
        buildCatalog(
          {
            models: { m: { deployments: [{ id: 'x', provider: 'openai', model: 'm', weight: -1 }] } },
            extra: 1,
          },
          { providers },
        )
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(CatalogError)
    const issues = (error as CatalogError).issues.join('\n')
    expect(issues).toContain('/models/m/deployments/0/weight')
  })

  test('every cross-reference problem is listed at once', () => {
    const error = (() => {
      try {
        buildCatalog(
          {
            models: {
              a: {
                deployments: [
                  { id: 'dup', provider: 'openai', model: 'm' },
                  { id: 'dup', provider: 'bedrock', baseUrl: 'http://x', model: 'm' },
                ],
                fallbacks: ['missing', 'a'],
                fallbacksOn: { timeout: ['also-missing'] },
              },
            },
          },
          { providers },
        )
      } catch (e) {
        return e
      }
    })() as CatalogError
    expect(error).toBeInstanceOf(CatalogError)
    expect(error.issues).toEqual([
      '/models/a/deployments/0/baseUrl is required for provider openai',
      `/models/a/deployments/1/provider 'bedrock' is not a provider (known: ${Object.keys(providers).join(', ')})`,
      "/models/a/deployments/1/id 'dup' is used twice; deployment ids are unique",
      "/models/a/fallbacks names unknown alias 'missing'",
      '/models/a/fallbacks names the alias itself',
      "/models/a/fallbacksOn/timeout names unknown alias 'also-missing'",
    ])
  })
})
