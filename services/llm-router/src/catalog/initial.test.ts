import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { expect, test } from 'vitest'
import { providers } from '../upstreams/registry.ts'
import { initialCatalog, localEmbeddingAlias } from './initial.ts'
import { CatalogError } from './load.ts'

const logger = pino({ level: 'silent' })
const base = {
  LLM_ROUTER_METRICS_ORGS: [],
  LLM_ROUTER_HEALTH_SYNC_MS: 1_000,
  LLM_ROUTER_PROBE_INTERVAL_MS: 0,
  LLM_ROUTER_LOCAL_MODEL: '',
  LLM_ROUTER_LOCAL_EMBEDDING_MODEL: 'off',
}

test('the file wins over the inline catalog; neither means no aliases', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'models-')), 'models.yaml')
  writeFileSync(
    file,
    'models:\n  from-file:\n    deployments:\n      - { id: f, provider: openai, baseUrl: "http://f/v1", model: f }\n',
  )
  const inline = {
    models: {
      inline: { deployments: [{ id: 'i', provider: 'openai', baseUrl: 'http://i/v1', model: 'i' }] },
    },
  }
  const both = initialCatalog(
    { ...base, LLM_ROUTER_MODELS_FILE: file, LLM_ROUTER_MODELS: inline },
    providers,
    logger,
  )
  expect([...both.aliases.keys()]).toEqual(['from-file'])
  const onlyInline = initialCatalog({ ...base, LLM_ROUTER_MODELS: inline }, providers, logger)
  expect([...onlyInline.aliases.keys()]).toEqual(['inline'])
  expect(initialCatalog(base, providers, logger).aliases.size).toBe(0)
})

test('with no catalog but a local model, the local model is the alias `local`, loaded on first use', () => {
  const modelPath = join(tmpdir(), 'not-fetched-yet.gguf')
  const catalog = initialCatalog({ ...base, LLM_ROUTER_LOCAL_MODEL: modelPath }, providers, logger)
  expect([...catalog.aliases.keys()]).toEqual(['local'])
  const deployment = catalog.aliases.get('local')?.deployments[0]
  expect(deployment?.provider).toBe('local')
  expect(deployment?.options).toEqual({ modelPath })
})

test('with no catalog, the local embedding model is the alias all-minilm-l6-v2 beside `local`', () => {
  const modelPath = join(tmpdir(), 'chat-not-fetched.gguf')
  const embeddingPath = join(tmpdir(), 'minilm-not-fetched.gguf')
  const config = {
    ...base,
    LLM_ROUTER_LOCAL_MODEL: modelPath,
    LLM_ROUTER_LOCAL_EMBEDDING_MODEL: embeddingPath,
  }
  const catalog = initialCatalog(config, providers, logger)
  expect([...catalog.aliases.keys()]).toEqual(['local', localEmbeddingAlias])
  const deployment = catalog.aliases.get(localEmbeddingAlias)?.deployments[0]
  expect(deployment?.provider).toBe('local')
  expect(deployment?.options).toEqual({ modelPath: embeddingPath, embeddingTruncate: true })
  const alone = initialCatalog(
    { ...base, LLM_ROUTER_LOCAL_EMBEDDING_MODEL: embeddingPath },
    providers,
    logger,
  )
  expect([...alone.aliases.keys()]).toEqual([localEmbeddingAlias])
})

test('a missing or broken file fails the start with the path in the message', () => {
  const missing = join(tmpdir(), 'no-such-dir', 'models.yaml')
  expect(() => initialCatalog({ ...base, LLM_ROUTER_MODELS_FILE: missing }, providers, logger)).toThrow(
    CatalogError,
  )
  const file = join(mkdtempSync(join(tmpdir(), 'models-')), 'broken.yaml')
  writeFileSync(file, 'models: [unclosed')
  expect(() => initialCatalog({ ...base, LLM_ROUTER_MODELS_FILE: file }, providers, logger)).toThrow(
    /broken\.yaml/,
  )
})
