#!/usr/bin/env node
// The `switchyard` command. Two things must happen before the services' modules load (they are
// many, and import pg, fastify and the LLM clients): tracing starts, so its instrumentations patch
// those modules as they load; and `start` (all) begins opening its embedded database, whose first
// open takes seconds, so that it runs on its thread while the main thread loads the rest. Hence the
// few light imports here, and the CLI itself imported only afterwards.
import module from 'node:module'
import { homedir } from 'node:os'
import { parseArgs } from 'node:util'
import { loadConfig } from '@switchyard/config'
import {
  embeddedDatabaseDir,
  type LocalPostgresOpening,
  RuntimeConfig,
  startLocalPostgres,
} from '@switchyard/runtime/early'

// Node caches the compiled code of every module it loads; later starts skip most parsing.
module.enableCompileCache?.()

async function prepare(argv: string[], env: NodeJS.ProcessEnv) {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { target: { type: 'string' } },
    allowPositionals: true,
    strict: false,
  })
  if (positionals[0] !== 'start') return {}
  let config: RuntimeConfig
  try {
    config = loadConfig(RuntimeConfig, env)
  } catch {
    return {} // the CLI loads it again and reports every bad key
  }
  const target = typeof values.target === 'string' ? values.target : 'all'
  const dataDir = embeddedDatabaseDir(target, config, homedir())
  let localPostgres: LocalPostgresOpening | undefined
  if (dataDir) {
    const opening = startLocalPostgres({ dataDir })
    opening.catch(() => {}) // start() awaits it and reports a failure; this only keeps it handled
    localPostgres = { dataDir, opening }
  }
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT
  const telemetry = endpoint
    ? await (await import('@switchyard/telemetry')).startTelemetry({
        serviceName: target === 'all' ? 'switchyard' : target,
        otlpEndpoint: endpoint,
      })
    : undefined
  return { telemetry, localPostgres }
}

const argv = process.argv.slice(2)
const early = await prepare(argv, process.env)
const { main, exitCodes } = await import('./cli.ts')
const io = {
  env: process.env,
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
}
let code: number | 'running'
try {
  code = await main(argv, io, early)
} catch (error) {
  console.error(error)
  code = exitCodes.failed
}
// While serving, the app owns tracing and the database and ends them on close; otherwise end them here.
if (code !== 'running') {
  await (await early.localPostgres?.opening.catch(() => undefined))?.close()
  await early.telemetry?.shutdown()
  process.exitCode = code
}
