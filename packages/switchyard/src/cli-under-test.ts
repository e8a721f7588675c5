// The CLI as its tests run it: `main` in this process, its output captured instead of printed.
import { main } from './cli.ts'

export interface CliRun {
  /** The exit code; 'running' for a command that keeps serving (start). */
  code: number | 'running'
  stdout: string
  stderr: string
}

/** `switchyard <argv>` with `env` as its whole environment. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = { stdout: '', stderr: '' }
  const code = await main(argv, {
    env,
    stdout: (text) => {
      out.stdout += text
    },
    stderr: (text) => {
      out.stderr += text
    },
  })
  return { code, ...out }
}
