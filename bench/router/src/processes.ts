// Starting the benchmark's child processes and waiting for the URL each reports.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Child {
  name: string
  url: string
  process: ChildProcess
  /** CPU time the process has used so far (user + system), µs. */
  cpuMicros(): Promise<number>
  /** Asks it to close, and kills it if it has not exited within `graceMs`. */
  close(graceMs?: number): Promise<void>
}

/** Forks `src/<file>` with `args`; its stdout goes to our stderr, so our stdout stays the report. */
export async function startChild(
  name: string,
  file: string,
  args: string[] = [],
  execArgv: string[] = [],
): Promise<Child> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  child.stdout?.pipe(process.stderr)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { url?: string; error?: string }) => {
      if (message.url !== undefined) resolve(message.url)
      else reject(new Error(`${name} failed to start:\n${message.error}`))
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it started`)))
  })
  return {
    name,
    url,
    process: child,
    cpuMicros: () =>
      new Promise<number>((resolve) => {
        const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
          if (message.cpu === undefined) return
          child.off('message', onMessage)
          resolve(message.cpu.user + message.cpu.system)
        }
        child.on('message', onMessage)
        child.send('cpu')
      }),
    async close(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.send('close')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
