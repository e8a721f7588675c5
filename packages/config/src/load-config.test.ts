import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from 'typebox'
import { expect, onTestFinished, test } from 'vitest'
import { Duration } from './duration.ts'
import { ConfigError, loadConfig } from './load-config.ts'
import { Url } from './url.ts'

const RagConfig = Type.Object({
  RAG_TOP_K: Type.Integer({ minimum: 1, default: 8 }),
  RAG_EMBEDDING_MODEL: Type.String({ minLength: 1 }),
  RAG_HYBRID: Type.Boolean({ default: true }),
  RAG_MIN_SCORE: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  RAG_MODE: Type.Union([Type.Literal('dense'), Type.Literal('hybrid')], { default: 'hybrid' }),
  RAG_ALLOWED_TYPES: Type.Array(Type.String(), { default: ['text/plain'] }),
  RAG_BATCH_SIZES: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function catchConfigError(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

test('text from env is coerced to the types the schema asks for', () => {
  const config = loadConfig(RagConfig, {
    RAG_TOP_K: '12',
    RAG_EMBEDDING_MODEL: 'bge-small',
    RAG_HYBRID: 'off',
    RAG_MIN_SCORE: '0.25',
    RAG_MODE: 'dense',
    RAG_ALLOWED_TYPES: 'text/plain, application/pdf,',
    RAG_BATCH_SIZES: '[16, "32"]',
  })
  expect(config).toEqual({
    RAG_TOP_K: 12,
    RAG_EMBEDDING_MODEL: 'bge-small',
    RAG_HYBRID: false,
    RAG_MIN_SCORE: 0.25,
    RAG_MODE: 'dense',
    RAG_ALLOWED_TYPES: ['text/plain', 'application/pdf'],
    RAG_BATCH_SIZES: [16, 32],
  })
})

test('defaults fill unset keys, optional keys without a default stay absent, unknown keys are ignored', () => {
  const config = loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'bge-small', PATH: '/usr/bin', CHAT_PORT: 'x' })
  expect(config).toEqual({
    RAG_TOP_K: 8,
    RAG_EMBEDDING_MODEL: 'bge-small',
    RAG_HYBRID: true,
    RAG_MODE: 'hybrid',
    RAG_ALLOWED_TYPES: ['text/plain'],
  })
  expect('RAG_MIN_SCORE' in config).toBe(false)
})

test('defaults are copies: mutating one load does not change the next', () => {
  const first = loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'm' })
  first.RAG_ALLOWED_TYPES.push('image/png')
  expect(loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'm' }).RAG_ALLOWED_TYPES).toEqual(['text/plain'])
})

test('an empty string counts as unset: the default applies, a required key is missing', () => {
  const config = loadConfig(RagConfig, { RAG_TOP_K: '', RAG_EMBEDDING_MODEL: 'm' })
  expect(config.RAG_TOP_K).toBe(8)
  const error = catchConfigError(() => loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: '' }))
  expect(error.issues).toEqual([
    { key: 'RAG_EMBEDDING_MODEL', message: 'missing; expected non-empty string' },
  ])
})

test('a fractional number for an integer key is an error, not a truncation', () => {
  const error = catchConfigError(() => loadConfig(RagConfig, { RAG_TOP_K: '2.5', RAG_EMBEDDING_MODEL: 'm' }))
  expect(error.issues).toEqual([{ key: 'RAG_TOP_K', message: 'expected integer >= 1, got "2.5"' }])
})

test('NAME_FILE reads the value from a mounted file, without its trailing newline', () => {
  const dir = tempDir()
  const secret = join(dir, 'model')
  writeFileSync(secret, 'bge-large\n')
  const config = loadConfig(RagConfig, {
    RAG_EMBEDDING_MODEL_FILE: secret,
    RAG_TOP_K_FILE: writeTemp(dir, '3\r\n'),
  })
  expect(config.RAG_EMBEDDING_MODEL).toBe('bge-large')
  expect(config.RAG_TOP_K).toBe(3)
})

test('NAME and NAME_FILE together, or an unreadable file, are errors', () => {
  const dir = tempDir()
  const missing = join(dir, 'absent')
  const error = catchConfigError(() =>
    loadConfig(RagConfig, {
      RAG_EMBEDDING_MODEL: 'a',
      RAG_EMBEDDING_MODEL_FILE: writeTemp(dir, 'b'),
      RAG_TOP_K_FILE: missing,
    }),
  )
  expect(error.issues).toEqual([
    { key: 'RAG_TOP_K_FILE', message: `cannot read ${missing}: ENOENT` },
    {
      key: 'RAG_EMBEDDING_MODEL',
      message: 'both RAG_EMBEDDING_MODEL and RAG_EMBEDDING_MODEL_FILE are set; set one',
    },
  ])
})

test('a NAME_FILE key the schema declares itself is a path of its own, not the file of NAME', () => {
  const CatalogConfig = Type.Object({
    MODELS_FILE: Type.Optional(Type.String({ minLength: 1 })),
    MODELS: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    MODELS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  })
  const dir = tempDir()
  const catalog = writeTemp(dir, 'models:\n  gpt-fake:\n    deployments: []\n')
  const token = 'tok-from-a-secret'
  const config = loadConfig(CatalogConfig, {
    MODELS_FILE: catalog,
    MODELS: '{"inline":true}',
    MODELS_TOKEN_FILE: writeTemp(dir, `${token}\n`),
  })
  // MODELS is not read from the catalog, and naming both is not an error: the service decides.
  expect(config).toEqual({ MODELS_FILE: catalog, MODELS: { inline: true }, MODELS_TOKEN: token })
  expect(loadConfig(CatalogConfig, { MODELS_FILE: catalog })).toEqual({ MODELS_FILE: catalog })
})

test('a bad value read from a file is reported without echoing it', () => {
  const dir = tempDir()
  const value = 'not-a-number'
  const error = catchConfigError(() =>
    loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'm', RAG_TOP_K_FILE: writeTemp(dir, value) }),
  )
  expect(error.message).not.toContain(value)
  expect(error.issues[0]?.message).toBe(
    `expected integer >= 1, got a value of ${value.length} characters (not shown)`,
  )
})

test('YAML values sit under env: env wins, YAML beats defaults, native YAML types are accepted', () => {
  const dir = tempDir()
  const file = writeTemp(
    dir,
    [
      'RAG_TOP_K: 4',
      'RAG_EMBEDDING_MODEL: from-yaml',
      'RAG_HYBRID: false',
      'RAG_ALLOWED_TYPES: [a, b]',
      'OTHER: 1',
    ].join('\n'),
  )
  const fromOption = loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'from-env' }, { file })
  expect(fromOption).toMatchObject({
    RAG_TOP_K: 4,
    RAG_EMBEDDING_MODEL: 'from-env',
    RAG_HYBRID: false,
    RAG_ALLOWED_TYPES: ['a', 'b'],
    RAG_MODE: 'hybrid',
  })
  const fromEnvKey = loadConfig(RagConfig, { SWITCHYARD_CONFIG_FILE: file, RAG_TOP_K: '9' })
  expect(fromEnvKey).toMatchObject({ RAG_TOP_K: 9, RAG_EMBEDDING_MODEL: 'from-yaml' })
})

test('an unreadable or malformed YAML file is reported under SWITCHYARD_CONFIG_FILE', () => {
  const dir = tempDir()
  const malformed = writeTemp(dir, 'RAG_TOP_K: [1,\n')
  const error = catchConfigError(() =>
    loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'm' }, { file: malformed }),
  )
  expect(error.issues.map((i) => i.key)).toEqual(['SWITCHYARD_CONFIG_FILE'])
  expect(error.issues[0]?.message).toContain('invalid YAML')
  const listFile = writeTemp(dir, '- a\n- b\n')
  const notMapping = catchConfigError(() =>
    loadConfig(RagConfig, { RAG_EMBEDDING_MODEL: 'm' }, { file: listFile }),
  )
  expect(notMapping.issues[0]?.message).toBe(`${listFile} must hold a mapping of NAME: value`)
})

test('three bad keys give one error that names all three with their reasons', () => {
  const error = catchConfigError(() =>
    loadConfig(RagConfig, { RAG_TOP_K: 'zero', RAG_MODE: 'sparse', RAG_BATCH_SIZES: '[1,' }),
  )
  expect(error.issues).toEqual([
    { key: 'RAG_TOP_K', message: 'expected integer >= 1, got "zero"' },
    { key: 'RAG_EMBEDDING_MODEL', message: 'missing; expected non-empty string' },
    { key: 'RAG_MODE', message: 'expected one of "dense", "hybrid", got "sparse"' },
    { key: 'RAG_BATCH_SIZES', message: expect.stringMatching(/^invalid JSON array: /) },
  ])
  for (const key of ['RAG_TOP_K', 'RAG_EMBEDDING_MODEL', 'RAG_MODE', 'RAG_BATCH_SIZES']) {
    expect(error.message).toContain(`\n  ${key}: `)
  }
  expect(error.message.split('\n')[0]).toBe(`Invalid configuration (${error.issues.length} problems):`)
})

test('Duration takes units and defaults in words and loads milliseconds', () => {
  const Schema = Type.Object({
    CHAT_TIMEOUT: Duration({ default: '30s' }),
    CHAT_IDLE: Duration({ minimum: 1000 }),
  })
  expect(loadConfig(Schema, { CHAT_IDLE: '1.5m' })).toEqual({
    CHAT_TIMEOUT: 30 * 1000,
    CHAT_IDLE: 1.5 * 60 * 1000,
  })
  expect(loadConfig(Schema, { CHAT_IDLE: '2500' }).CHAT_IDLE).toBe(2500)
  const error = catchConfigError(() => loadConfig(Schema, { CHAT_TIMEOUT: 'soon', CHAT_IDLE: '10ms' }))
  expect(error.issues).toEqual([
    { key: 'CHAT_TIMEOUT', message: 'expected duration (e.g. 500ms, 30s, 5m), got "soon"' },
    { key: 'CHAT_IDLE', message: 'expected duration (e.g. 500ms, 30s, 5m) >= 1000 ms, got "10ms"' },
  ])
})

test('Url accepts only the listed schemes with a host', () => {
  const Schema = Type.Object({
    RAG_UPSTREAM: Url({ default: 'http://localhost:4000' }),
    ADMIN_DATABASE_URL: Url({ protocols: ['postgres', 'postgresql'] }),
  })
  const ok = loadConfig(Schema, { ADMIN_DATABASE_URL: 'postgres://app:s3cret@db:5432/switchyard' })
  expect(ok.RAG_UPSTREAM).toBe('http://localhost:4000')
  const upstream = 'localhost:4000'
  const database = 'mysql://x'
  const error = catchConfigError(() =>
    loadConfig(Schema, { RAG_UPSTREAM: upstream, ADMIN_DATABASE_URL: database }),
  )
  expect(error.issues.map((i) => i.message)).toEqual([
    `expected http or https URL, got a value of ${upstream.length} characters (not shown)`,
    `expected postgres or postgresql URL, got a value of ${database.length} characters (not shown)`,
  ])
})

let counter = 0
function writeTemp(dir: string, text: string): string {
  counter += 1
  const path = join(dir, `file-${counter}`)
  writeFileSync(path, text)
  return path
}
