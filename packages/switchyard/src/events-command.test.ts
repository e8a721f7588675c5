import { expect, test } from 'vitest'
import { main } from './cli.ts'

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = []
  const err: string[] = []
  const io = { env, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }
  return main(argv, io).then((code) => ({ code, stdout: out.join(''), stderr: err.join('') }))
}

test('events replay-dlq is a command of its own, with its own options', async () => {
  const help = await run(['events', '--help'])
  expect(help.code).toBe(0)
  expect(help.stdout).toContain('switchyard events replay-dlq [--topic <topic>] [--limit <n>]')
})

test.each([
  [['events'], /missing subcommand/],
  [['events', 'replay'], /unknown or missing subcommand 'replay'/],
  [['events', 'replay-dlq', '--limit', '0'], /--limit must be a positive integer, got '0'/],
  [['events', 'replay-dlq', '--limit', '2.5'], /--limit must be a positive integer/],
  [['events', 'replay-dlq', '--target', 'admin'], /Unknown option '--target'/],
])('%j is a usage error', async (argv, message) => {
  const { code, stderr } = await run(argv, { KAFKA_BROKERS: '127.0.0.1:1' })
  expect(code).toBe(2)
  expect(stderr).toMatch(message)
})

test('without KAFKA_BROKERS it says what is missing', async () => {
  const { code, stderr } = await run(['events', 'replay-dlq'])
  expect(code).toBe(1)
  expect(stderr).toContain('KAFKA_BROKERS is not set')
})
