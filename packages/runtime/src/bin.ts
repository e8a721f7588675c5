#!/usr/bin/env node
// The `switchyard` command. Tracing has to start before pg, ioredis, kafkajs and fastify load, so
// that its instrumentations patch them as they load; this file therefore imports nothing else
// statically, starts tracing when `start` is asked for and an OTLP endpoint is configured, and only
// then loads the rest of the CLI.
import { parseArgs } from 'node:util'
import { loadConfig } from '@switchyard/config'
import { RuntimeConfig } from './config.ts'

async function startTracing(argv: string[], env: NodeJS.ProcessEnv) {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { target: { type: 'string' } },
    allowPositionals: true,
    strict: false,
  })
  if (positionals[0] !== 'start') return undefined
  let endpoint: string | undefined
  try {
    endpoint = loadConfig(RuntimeConfig, env).OTEL_EXPORTER_OTLP_ENDPOINT
  } catch {
    return undefined // the CLI reports the bad config, with every key
  }
  if (!endpoint) return undefined
  const { startTelemetry } = await import('@switchyard/telemetry')
  const target = typeof values.target === 'string' ? values.target : 'all'
  return startTelemetry({ serviceName: target === 'all' ? 'switchyard' : target, otlpEndpoint: endpoint })
}

const argv = process.argv.slice(2)
const telemetry = await startTracing(argv, process.env)
const { main, exitCodes } = await import('./cli.ts')
const io = {
  env: process.env,
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
}
let code: number | 'running'
try {
  code = await main(argv, io, telemetry)
} catch (error) {
  console.error(error)
  code = exitCodes.failed
}
// While serving, the app owns the tracing and ends it on close; otherwise end it here.
if (code !== 'running') {
  await telemetry?.shutdown()
  process.exitCode = code
}
