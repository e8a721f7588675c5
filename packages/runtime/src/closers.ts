import type { Logger } from 'pino'

/** The clients one start opened, closed in reverse order of opening. */
export interface Closers {
  add(name: string, close: () => Promise<unknown>): void
  /** Runs each once, newest first; a failure is logged and the rest still close. */
  closeAll(): Promise<void>
}

export function createClosers(logger: Logger): Closers {
  const stack: { name: string; close: () => Promise<unknown> }[] = []
  return {
    add: (name, close) => stack.push({ name, close }),
    async closeAll() {
      for (let c = stack.pop(); c; c = stack.pop()) {
        await c.close().catch((err: unknown) => logger.error({ err }, `closing ${c?.name} failed`))
      }
    },
  }
}
