// The platform as a user starts it: `switchyard start` (every service in one process, embedded
// backends) in a child process, on a fresh data folder, with the owner key its first start makes.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../../../packages/switchyard/src/bin.ts', import.meta.url))

export interface Platform {
  url: string
  /** The owner API key of the first start's org. */
  apiKey: string
  close(): Promise<void>
}

/** `switchyard start` with `env` on top of a clean environment; resolves once /healthz answers. */
export async function startPlatform(env: Record<string, string>, withinMs = 120_000): Promise<Platform> {
  const home = await mkdtemp(join(tmpdir(), 'bench-e2e-'))
  const credentials = join(home, 'credentials')
  let output = ''
  const child: ChildProcess = spawn(process.execPath, [bin, 'start'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      SWITCHYARD_DATA_DIR: join(home, 'data'),
      SWITCHYARD_CREDENTIALS_FILE: credentials,
      SWITCHYARD_PORT: '0',
      SWITCHYARD_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
    await rm(home, { recursive: true, force: true })
  }
  const deadline = performance.now() + withinMs
  try {
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`switchyard exited with ${child.exitCode ?? child.signalCode}:\n${output}`)
      // The banner names the port it chose (port 0): a port picked here could be taken meanwhile.
      const url = output.match(/switchyard listening on (http:\/\/\S+)/)?.[1]
      const ready =
        url !== undefined &&
        (await fetch(`${url}/readyz`).then(
          (res) => res.status === 200,
          () => false,
        ))
      if (ready) {
        const apiKey = (await readFile(credentials, 'utf8')).match(/^SWITCHYARD_API_KEY=(\S+)$/m)?.[1]
        if (apiKey === undefined) throw new Error(`no owner key in ${credentials}`)
        return { url, apiKey, close }
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`switchyard was not ready within ${withinMs} ms:\n${output}`)
  } catch (error) {
    await close()
    throw error
  }
}
