// The whole of rag as a user of the official `openai` client sees it, against any shape: upload a
// PDF, a docx, an HTML page and a markdown file, attach them in one batch, poll to completed,
// search with and without filters, delete a file and see its chunks gone. The shapes' tests run it.
import { tinyDocx, tinyPdf } from '@switchyard/rag/fixtures'
import OpenAI, { toFile } from 'openai'
import { expect } from 'vitest'

/** Each file's words are its own, so the fake embedder (words hashed into buckets) tells them apart. */
export const documents = [
  {
    name: 'cranes.pdf',
    kind: 'pdf',
    year: 2019,
    bytes: tinyPdf([['Cranes migrate south', 'Common cranes migrate south across Europe every autumn.']]),
    query: 'cranes migrate south autumn',
  },
  {
    name: 'turbines.docx',
    kind: 'docx',
    year: 2021,
    bytes: tinyDocx([
      ['Heading1', 'Turbine maintenance'],
      [null, 'Inspect every turbine blade for erosion before winter storms.'],
    ]),
    query: 'turbine blade erosion inspection',
  },
  {
    name: 'bread.html',
    kind: 'html',
    year: 2022,
    bytes: new TextEncoder().encode(
      '<html><body><h1>Sourdough</h1><p>Sourdough bread needs a long fermentation of the starter.</p></body></html>',
    ),
    query: 'sourdough bread fermentation starter',
  },
  {
    name: 'kafka.md',
    kind: 'md',
    year: 2024,
    bytes: new TextEncoder().encode(
      '# Kafka\n\nA consumer group rebalances partitions when a consumer joins or leaves.\n',
    ),
    query: 'consumer group partitions rebalance',
  },
] as const

export interface FlowOptions {
  /** Rows in the chunks table for a file, read behind the API. */
  chunksOf(fileId: string): Promise<number>
  /** How often the batch is polled, in ms. */
  pollIntervalMs?: number
}

export async function runWholeFlow(openai: OpenAI, options: FlowOptions): Promise<void> {
  const uploaded = []
  for (const doc of documents) {
    const file = await openai.files.create({
      file: await toFile(Buffer.from(doc.bytes), doc.name),
      purpose: 'assistants',
    })
    expect(file).toMatchObject({ object: 'file', filename: doc.name, bytes: doc.bytes.byteLength })
    // Read back from the object store as uploaded.
    const stored = Buffer.from(await (await openai.files.content(file.id)).arrayBuffer())
    expect(stored.equals(Buffer.from(doc.bytes)), doc.name).toBe(true)
    uploaded.push({ ...doc, id: file.id })
  }

  const store = await openai.vectorStores.create({ name: 'e2e' })
  const batch = await openai.vectorStores.fileBatches.create(store.id, {
    files: uploaded.map((doc) => ({ file_id: doc.id, attributes: { kind: doc.kind, year: doc.year } })),
  })
  expect(batch).toMatchObject({ status: 'in_progress', file_counts: { total: uploaded.length } })

  const done = await openai.vectorStores.fileBatches.poll(store.id, batch.id, {
    pollIntervalMs: options.pollIntervalMs ?? 50,
  })
  const files = await openai.vectorStores.files.list(store.id)
  expect(done.status, JSON.stringify(files.data.map((f) => [f.id, f.status, f.last_error]))).toBe('completed')
  expect(done.file_counts).toEqual({
    in_progress: 0,
    completed: uploaded.length,
    failed: 0,
    cancelled: 0,
    total: uploaded.length,
  })
  expect((await openai.vectorStores.retrieve(store.id)).file_counts.completed).toBe(uploaded.length)
  for (const doc of uploaded) expect(await options.chunksOf(doc.id), doc.name).toBeGreaterThan(0)

  // Without filters: each document's own words find it first.
  for (const doc of uploaded) {
    const page = await openai.vectorStores.search(store.id, { query: doc.query, max_num_results: 4 })
    expect(page.data[0], doc.query).toMatchObject({
      file_id: doc.id,
      filename: doc.name,
      attributes: { kind: doc.kind, year: doc.year },
    })
    expect(page.data[0]?.content[0]?.text).toBeTruthy()
  }

  // With filters: a comparison keeps only its file, even for another file's words...
  const [pdf, docx, html, md] = uploaded as unknown as [
    (typeof uploaded)[number],
    (typeof uploaded)[number],
    (typeof uploaded)[number],
    (typeof uploaded)[number],
  ]
  const onlyPdf = await openai.vectorStores.search(store.id, {
    query: html.query,
    filters: { type: 'eq', key: 'kind', value: 'pdf' },
  })
  expect(onlyPdf.data.map((hit) => hit.file_id)).toEqual(expect.arrayContaining([pdf.id]))
  expect(new Set(onlyPdf.data.map((hit) => hit.file_id))).toEqual(new Set([pdf.id]))
  // ...and a compound one keeps the files that pass both of its parts.
  const recentNotMd = await openai.vectorStores.search(store.id, {
    query: 'winter storms bread consumer cranes',
    max_num_results: 10,
    filters: {
      type: 'and',
      filters: [
        { type: 'gte', key: 'year', value: 2021 },
        { type: 'ne', key: 'kind', value: 'md' },
      ],
    },
  })
  expect(new Set(recentNotMd.data.map((hit) => hit.file_id))).toEqual(new Set([docx.id, html.id]))

  // Deleting a file takes its chunks out of the store and out of search.
  expect(await openai.files.delete(md.id)).toMatchObject({ id: md.id, deleted: true })
  expect(await options.chunksOf(md.id)).toBe(0)
  const after = await openai.vectorStores.search(store.id, { query: md.query, max_num_results: 10 })
  expect(after.data.map((hit) => hit.file_id)).not.toContain(md.id)
  expect(after.data.length).toBeGreaterThan(0)
  expect((await openai.vectorStores.retrieve(store.id)).file_counts.total).toBe(uploaded.length - 1)
  await expect(openai.files.retrieve(md.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError)
}
