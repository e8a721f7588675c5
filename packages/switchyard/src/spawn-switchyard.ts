// Test support: `switchyard start` as a user runs it, in a child process of its own.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url))

export interface SpawnedSwitchyard {
  child: ChildProcess
  url: string
  /** Milliseconds from spawn to the first 200 from /healthz. */
  healthyAfterMs: number
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string
}

export interface SpawnOptions {
  /** SWITCHYARD_DATA_DIR. */
  dataDir: string
  /** HOME, so nothing is read from or written to the user's own. */
  home: string
  /** More environment, e.g. the README's `LLM_ROUTER_MODELS_FILE`. */
  env?: Record<string, string>
  /** How long to wait for /healthz before giving up. Default 30 s. */
  healthyWithinMs?: number
  /** The command line after `switchyard`. Default `start`; e.g. `start --target=rag-worker`. */
  args?: readonly string[]
}

/**
 * Spawns `switchyard start` with nothing in its environment but PATH, HOME, a data dir, port 0, log
 * level warn and `env`, and resolves once /healthz answers 200. No DATABASE_URL, REDIS_URL or
 * KAFKA_BROKERS: nothing external exists. Killed when the test finishes if it still runs.
 *
 * The child picks its own port and the URL is read from its banner: a port chosen here and freed
 * for it can be taken by another process in between, whose /healthz then answers for a child that
 * never listened (and a SIGTERM sent on that answer kills a child still starting, by the signal).
 * The banner is printed once the child listens and handles SIGTERM.
 */
export async function spawnSwitchyard(options: SpawnOptions): Promise<SpawnedSwitchyard> {
  let output = ''
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, [bin, ...(options.args ?? ['start'])], {
    env: {
      PATH: process.env.PATH,
      HOME: options.home,
      SWITCHYARD_DATA_DIR: options.dataDir,
      SWITCHYARD_PORT: '0',
      SWITCHYARD_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  const withinMs = options.healthyWithinMs ?? 30_000
  const deadline = spawnedAt + withinMs
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`switchyard exited with ${child.exitCode ?? child.signalCode}:\n${output}`)
    }
    const url = output.match(/switchyard listening on (http:\/\/\S+)/)?.[1]
    const ok =
      url !== undefined &&
      (await fetch(`${url}/healthz`).then(
        (res) => res.status === 200,
        () => false,
      ))
    if (ok) return { child, url, healthyAfterMs: performance.now() - spawnedAt, output: () => output }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`switchyard did not answer /healthz within ${withinMs} ms:\n${output}`)
}

/** Sends SIGTERM and resolves with how the process ended: an exit code, or the signal that killed it. */
export async function sigterm(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }> {
  const sentAt = performance.now()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  child.kill('SIGTERM')
  const ended = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(r, 10_000, 'timeout'))])
  if (ended === 'timeout') throw new Error('switchyard did not exit within 10 s of SIGTERM')
  return { ...ended, afterMs: performance.now() - sentAt }
}
