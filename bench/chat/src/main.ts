// pnpm bench:chat: chat history on Cassandra (the newest-50 page read and the message write over
// 100,000 seeded messages in 1,000 conversations) and what chat's SSE stream adds to the
// llm-router's own for the same answer. The last line is the summary:
//   chat-history read_p99_ms=<x> write_p99_ms=<y> sse_added_ms=<z>
import { parseArgs } from 'node:util'
import type { Summary } from '@switchyard/bench-router/stats'
import { runHistory } from './history.ts'
import { runSse } from './sse.ts'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    conversations: { type: 'string' },
    samples: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string' },
    'skip-history': { type: 'boolean', default: false },
    'skip-sse': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`pnpm bench:chat [options]
  --quick             10,000 messages, 1,000 samples, 40 SSE rounds (default 100,000, 3,000, 150)
  --messages N        messages seeded (default 100000, quick 10000)
  --conversations N   conversations they spread over (default 1000, quick 100)
  --samples N         timed reads and writes each (default 3000, quick 1000)
  --concurrency N     writes in flight while seeding (default 64)
  --rounds N          SSE rounds, each one call straight to the router and one through chat
  --skip-history, --skip-sse   run one half only (its numbers print as NaN)
Cassandra: SWITCHYARD_TEST_CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042) and
SWITCHYARD_TEST_CASSANDRA_DC (default datacenter1).
`)
  process.exit(0)
}
const int = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`bench:chat: ${value} is not a positive integer\n`)
    process.exit(2)
  }
  return n
}
const quick = flags.quick
const options = {
  messages: int(flags.messages, quick ? 10_000 : 100_000),
  conversations: int(flags.conversations, quick ? 100 : 1_000),
  samples: int(flags.samples, quick ? 1_000 : 3_000),
  concurrency: int(flags.concurrency, 64),
  rounds: int(flags.rounds, quick ? 40 : 150),
}
if (options.messages < options.conversations * 51) {
  process.stderr.write(
    'bench:chat: every conversation needs more than 50 messages (--messages >= 51 x --conversations)\n',
  )
  process.exit(2)
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const started = performance.now()
const ms = (value: number) => value.toFixed(2)
const row = (name: string, s: Summary) =>
  `${name.padEnd(34)} n=${String(s.count).padStart(6)}  p50 ${ms(s.p50).padStart(8)}  p90 ${ms(s.p90).padStart(8)}  p99 ${ms(s.p99).padStart(8)}  mean ${ms(s.mean).padStart(8)}`
const nan: Summary = { count: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, mean: Number.NaN }

const out: string[] = []
let read = nan
let write = nan
if (!flags['skip-history']) {
  const history = await runHistory({
    contactPoints: (process.env.SWITCHYARD_TEST_CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
    localDataCenter: process.env.SWITCHYARD_TEST_CASSANDRA_DC ?? 'datacenter1',
    conversations: options.conversations,
    messages: options.messages,
    samples: options.samples,
    concurrency: options.concurrency,
    log,
  })
  read = history.read
  write = history.write
  out.push(
    `chat history on Cassandra: ${options.messages} messages in ${options.conversations} conversations, seeded in ${history.seedSeconds.toFixed(1)} s (${(options.messages / history.seedSeconds).toFixed(0)}/s at ${options.concurrency} in flight)`,
    row('read: newest 50 messages, ms', read),
    row('write: append a message, ms', write),
    '',
  )
}

let sseAdded = Number.NaN
if (!flags['skip-sse']) {
  const ttftMs = 50
  const tokensPerSecond = 200
  const sse = await runSse({ rounds: options.rounds, ttftMs, tokensPerSecond, replyTokens: 40, log })
  sseAdded = sse.chat.ttft.p50 - sse.router.ttft.p50
  out.push(
    `SSE: fake upstream ttft ${ttftMs} ms, ${tokensPerSecond} tokens/s (a token every ${(1000 / tokensPerSecond).toFixed(1)} ms), 40 tokens; ${options.rounds} rounds`,
    row('router: time to first token, ms', sse.router.ttft),
    row('chat: time to first delta, ms', sse.chat.ttft),
    row('router: gap between tokens, ms', sse.router.gap),
    row('chat: gap between deltas, ms', sse.chat.gap),
    row('router: whole stream, ms', sse.router.total),
    row('chat: whole stream, ms', sse.chat.total),
    `sse added: ttft p50 ${ms(sseAdded)} ms, p99 ${ms(sse.chat.ttft.p99 - sse.router.ttft.p99)} ms; per-token gap p50 ${ms(sse.chat.gap.p50 - sse.router.gap.p50)} ms`,
    '',
  )
}

out.push(
  `read_p50_ms=${ms(read.p50)} write_p50_ms=${ms(write.p50)}`,
  `took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  '',
  `chat-history read_p99_ms=${ms(read.p99)} write_p99_ms=${ms(write.p99)} sse_added_ms=${ms(sseAdded)}`,
)
process.stdout.write(`${out.join('\n')}\n`)
