import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** The repository root: the nearest folder above this file that holds deploy/local/infra.sh. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'deploy', 'local', 'infra.sh'))) {
    const parent = dirname(dir)
    if (parent === dir)
      throw new Error(`deploy/local/infra.sh not found above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
  return dir
}

export const infraScript = (): string => join(repoRoot(), 'deploy', 'local', 'infra.sh')

/**
 * Runs `infra.sh <args>` with its progress on our stderr (a cold `up` downloads for minutes,
 * and silence would look like a hang); rejects with the exit code.
 */
export function runInfra(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [infraScript(), ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`infra.sh ${args.join(' ')} failed (${signal ?? `exit ${code}`})`))
    })
  })
}

/** `infra.sh env`: the SWITCHYARD_TEST_* lines, as variables. */
export async function deployLocalEnv(): Promise<Record<string, string>> {
  const { stdout } = await execFileAsync('bash', [infraScript(), 'env'])
  const env: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return env
}

/** Starts (or finds running) the deploy/local servers; they stay up after the tests. */
export async function startDeployLocal(): Promise<Record<string, string>> {
  await runInfra(['up'])
  return deployLocalEnv()
}
