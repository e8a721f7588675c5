import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { tinyGguf } from '@switchyard/testing'
import pino from 'pino'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { UpstreamError } from '../provider.ts'
import { progressBar, resolveModelPath } from './model-file.ts'

const logger = pino({ level: 'silent' })
const model = tinyGguf()
let dir: string
let requests: string[] = []
let endpoint: string
const server = createServer((req, res) => {
  requests.push(req.url ?? '')
  if (!req.url?.startsWith('/someone/tiny-GGUF/resolve/main/tiny.gguf')) {
    res.writeHead(404).end('not found')
    return
  }
  res.writeHead(200, { 'content-length': model.length, 'content-type': 'application/octet-stream' })
  res.end(req.method === 'HEAD' ? undefined : model)
})

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-file-'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

afterAll(async () => {
  server.close()
  await rm(dir, { recursive: true, force: true })
})

function sink() {
  let text = ''
  const out = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return { out, text: () => text }
}

test('an hf: URI is downloaded once into modelsDir, with progress, then found without the network', async () => {
  requests = []
  const progress = sink()
  const options = {
    modelsDir: dir,
    download: true,
    huggingFaceEndpoint: endpoint,
    logger,
    signal: new AbortController().signal,
    progressTo: progress.out,
  }
  const path = await resolveModelPath('hf:someone/tiny-GGUF/tiny.gguf', options)
  expect(path.startsWith(dir)).toBe(true)
  expect((await readFile(path)).equals(model)).toBe(true)
  expect(progress.text()).toMatch(/hf:someone\/tiny-GGUF\/tiny\.gguf .*100%/)
  const seen = requests.length
  expect(seen).toBeGreaterThan(0)
  expect(await resolveModelPath('hf:someone/tiny-GGUF/tiny.gguf', options)).toBe(path)
  expect(requests.length).toBe(seen)
})

test('with downloads off, a URI not in modelsDir is a connect failure that says so', async () => {
  const error = await resolveModelPath('hf:someone/tiny-GGUF/other.gguf', {
    modelsDir: dir,
    download: false,
    huggingFaceEndpoint: endpoint,
    logger,
    signal: new AbortController().signal,
  }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(UpstreamError)
  expect((error as UpstreamError).kind).toBe('connect')
  expect((error as Error).message).toMatch(/downloads are off/)
})

test('a hub that answers 404 fails the download with its status', async () => {
  const error = await resolveModelPath('hf:someone/tiny-GGUF/missing.gguf', {
    modelsDir: dir,
    download: true,
    huggingFaceEndpoint: endpoint,
    logger,
    signal: new AbortController().signal,
    progressTo: sink().out,
  }).catch((e: unknown) => e)
  expect((error as UpstreamError).kind).toBe('connect')
  expect((error as Error).message).toMatch(
    /could not download local model hf:someone\/tiny-GGUF\/missing\.gguf.*404/,
  )
})

test('an unreachable hub fails after the stall time, not after the downloader gives up', async () => {
  // Port 9 (discard) on loopback: nothing listens, every connection is refused at once, and
  // node-llama-cpp's downloader would retry for about 12 minutes.
  const started = performance.now()
  const error = await resolveModelPath('hf:someone/tiny-GGUF/tiny-2.gguf', {
    modelsDir: dir,
    download: true,
    huggingFaceEndpoint: 'http://127.0.0.1:9/',
    logger,
    signal: new AbortController().signal,
    stallMs: 500,
    progressTo: sink().out,
  }).catch((e: unknown) => e)
  expect((error as UpstreamError).kind).toBe('connect')
  expect((error as Error).message).toMatch(/no progress for 0.5 s/)
  expect(performance.now() - started).toBeLessThan(5_000)
})

test('the progress bar redraws in place on a terminal and writes a line per 10 % elsewhere', () => {
  const plain = sink()
  const bar = progressBar('m', plain.out)
  for (let done = 0; done <= 100; done += 5) bar.update(done * 1024 * 1024, 100 * 1024 * 1024)
  bar.done()
  expect(plain.text().trim().split('\n')).toHaveLength(11)
  const tty = sink()
  const ttyOut = Object.assign(tty.out, { isTTY: true })
  const drawn = progressBar('m', ttyOut)
  drawn.update(50, 100)
  drawn.done()
  expect(tty.text()).toMatch(/^\r\[#{15} {15}\] m .* 50%\n$/)
})
