import { Writable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { type Logger, pino } from 'pino'
import { expect, test, vi } from 'vitest'
import { lazyRequestLogger } from './request-logger.ts'

function parentLogger(level: string) {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  const logger = pino({ level }, destination)
  const child = vi.spyOn(logger, 'child')
  return { logger, lines, child }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

test('a request that logs nothing at the enabled level makes no child logger', () => {
  const { logger, child } = parentLogger('warn')
  const log = lazyRequestLogger(
    logger as unknown as FastifyBaseLogger,
    { reqId: 'r1' },
    {},
  ) as unknown as Logger
  log.info('incoming request')
  log.debug({ a: 1 }, 'detail')
  expect(child).not.toHaveBeenCalled()
  expect(log.level).toBe('warn')
  expect(log.isLevelEnabled('info')).toBe(false)
  expect(log.isLevelEnabled('error')).toBe(true)
})

test('a line at an enabled level is written once, with the request bindings', async () => {
  const { logger, lines, child } = parentLogger('info')
  const log = lazyRequestLogger(logger as unknown as FastifyBaseLogger, { reqId: 'r2' }, {})
  log.info({ code: 'X' }, 'request failed')
  log.error('again')
  await flush()
  expect(child).toHaveBeenCalledTimes(1)
  expect(lines.map((l) => [l.reqId, l.msg, l.code])).toEqual([
    ['r2', 'request failed', 'X'],
    ['r2', 'again', undefined],
  ])
})

test('a route level given to the child applies before and after the child exists', async () => {
  const { logger, lines } = parentLogger('info')
  const log = lazyRequestLogger(logger as unknown as FastifyBaseLogger, { reqId: 'r3' }, { level: 'warn' })
  expect(log.level).toBe('warn')
  log.info('hidden by the route level')
  log.warn('shown')
  log.info('still hidden')
  await flush()
  expect(lines.map((l) => l.msg)).toEqual(['shown'])
  const nested = log.child({ part: 'x' })
  nested.warn('nested')
  await flush()
  expect(lines.at(-1)).toMatchObject({ reqId: 'r3', part: 'x', msg: 'nested' })
})
