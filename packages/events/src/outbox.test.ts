import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { type OutboxRecord, openOutbox } from './outbox.ts'

const logger = pino({ level: 'silent' })

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-test-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function record(n: number): OutboxRecord {
  return {
    topic: 't.v1',
    key: `k${n % 3}`,
    value: JSON.stringify({ id: `id-${n}`, n }),
    headers: { 'event-id': `id-${n}` },
  }
}

test('records come back in append order, survive a reopen, and the file empties once all are acked', async () => {
  const dir = await tempDir()
  const box = await openOutbox(dir, logger)
  await box.append([record(1), record(2)])
  await box.append([record(3)])
  expect(box.pending()).toBe(3)
  await box.close()

  const reopened = await openOutbox(dir, logger)
  expect(reopened.pending()).toBe(3)
  const first = await reopened.peek(2)
  expect(first.records).toEqual([record(1), record(2)])
  await reopened.ack(first)
  expect(reopened.pending()).toBe(1)
  await reopened.close()

  // The ack survives a reopen: only record 3 is left.
  const again = await openOutbox(dir, logger)
  expect(again.pending()).toBe(1)
  const rest = await again.peek(10)
  expect(rest.records).toEqual([record(3)])
  await again.ack(rest)
  expect(again.pending()).toBe(0)
  expect((await stat(join(dir, 'outbox.jsonl'))).size).toBe(0)
  await again.append([record(4)])
  expect((await again.peek(10)).records).toEqual([record(4)])
  await again.close()
})

test('a partial last line left by a crash is dropped and the next append starts a clean line', async () => {
  const dir = await tempDir()
  const box = await openOutbox(dir, logger)
  await box.append([record(1)])
  await box.close()
  await appendFile(join(dir, 'outbox.jsonl'), '{"topic":"t.v1","key":"k","val')

  const reopened = await openOutbox(dir, logger)
  expect(reopened.pending()).toBe(1)
  await reopened.append([record(2)])
  expect((await reopened.peek(10)).records).toEqual([record(1), record(2)])
  await reopened.close()
})

test('a corrupt line is skipped, not replayed, and does not block the others', async () => {
  const dir = await tempDir()
  await writeFile(
    join(dir, 'outbox.jsonl'),
    `${JSON.stringify(record(1))}\nnot json\n${JSON.stringify({ nope: true })}\n${JSON.stringify(record(2))}\n`,
  )
  const box = await openOutbox(dir, logger)
  expect(box.pending()).toBe(4)
  const batch = await box.peek(10)
  expect(batch.records).toEqual([record(1), record(2)])
  expect(batch.lines).toBe(4)
  await box.ack(batch)
  expect(box.pending()).toBe(0)
  await box.close()
})

test('an offset that is not at a line start is ignored: everything is replayed (duplicates, never loss)', async () => {
  const dir = await tempDir()
  const box = await openOutbox(dir, logger)
  await box.append([record(1), record(2)])
  await box.close()
  await writeFile(join(dir, 'outbox.offset'), '5')
  const reopened = await openOutbox(dir, logger)
  expect(reopened.pending()).toBe(2)
  await reopened.close()
})

test('a directory is owned by one outbox at a time', async () => {
  const dir = await tempDir()
  const box = await openOutbox(dir, logger)
  await expect(openOutbox(dir, logger)).rejects.toThrow(/already open/)
  await box.close()
  // A lock left by a process that no longer exists is taken over.
  await writeFile(join(dir, 'outbox.lock'), '999999999')
  const next = await openOutbox(dir, logger)
  expect(await readFile(join(dir, 'outbox.lock'), 'utf8')).toBe(String(process.pid))
  await next.close()
})

test('peek returns at most the asked number and handles lines larger than a read chunk', async () => {
  const dir = await tempDir()
  const box = await openOutbox(dir, logger)
  const big: OutboxRecord = { ...record(9), value: 'x'.repeat(3 * 1024 * 1024) }
  await box.append([record(1), big, record(2)])
  const one = await box.peek(1)
  expect(one.records).toEqual([record(1)])
  await box.ack(one)
  const two = await box.peek(5)
  expect(two.records).toEqual([big, record(2)])
  await box.close()
})
