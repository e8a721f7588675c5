// A BEIR-format folder: corpus.jsonl ({_id, title, text} a line), queries.jsonl ({_id, text}) and
// the judgments, qrels/<split>.tsv as BEIR ships them or qrels.tsv beside the others (a header
// line, then query-id, corpus-id, score, tab-separated).
import { access, open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Judgments } from './ndcg.ts'

export interface BeirDocument {
  id: string
  title: string
  text: string
}

export interface BeirDataset {
  documents: BeirDocument[]
  /** Query id -> text. */
  queries: Map<string, string>
  /** Query id -> its judgments. */
  qrels: Map<string, Judgments>
  qrelsFile: string
}

async function* lines(path: string): AsyncGenerator<string> {
  const file = await open(path)
  try {
    for await (const line of file.readLines()) if (line.trim() !== '') yield line
  } finally {
    await file.close()
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** Reads the folder; `split` picks qrels/<split>.tsv when the folder has a qrels/ directory. */
export async function loadBeir(dir: string, split = 'test'): Promise<BeirDataset> {
  const documents: BeirDocument[] = []
  for await (const line of lines(join(dir, 'corpus.jsonl'))) {
    const doc = JSON.parse(line) as { _id: string | number; title?: string; text?: string }
    documents.push({ id: String(doc._id), title: doc.title ?? '', text: doc.text ?? '' })
  }
  const queries = new Map<string, string>()
  for await (const line of lines(join(dir, 'queries.jsonl'))) {
    const query = JSON.parse(line) as { _id: string | number; text: string }
    queries.set(String(query._id), query.text)
  }
  const candidates = [join(dir, 'qrels', `${split}.tsv`), join(dir, 'qrels.tsv')]
  let qrelsFile: string | undefined
  for (const candidate of candidates)
    if (qrelsFile === undefined && (await exists(candidate))) qrelsFile = candidate
  if (qrelsFile === undefined)
    throw new Error(`no judgments in ${dir}: looked for ${candidates.join(' and ')}`)
  const qrels = new Map<string, Map<string, number>>()
  let first = true
  for await (const line of lines(qrelsFile)) {
    const [query, doc, score] = line.split('\t')
    const grade = Number(score)
    // The header (query-id corpus-id score) is the one line whose score is not a number.
    if (first && Number.isNaN(grade)) {
      first = false
      continue
    }
    first = false
    if (query === undefined || doc === undefined || !Number.isFinite(grade))
      throw new Error(`${qrelsFile}: not "query-id<TAB>corpus-id<TAB>score": ${line}`)
    const judgments = qrels.get(query) ?? new Map<string, number>()
    qrels.set(query, judgments.set(doc, grade))
  }
  return { documents, queries, qrels, qrelsFile }
}

/** What a document's file holds: title and text as BEIR's baselines join them. */
export function documentText(doc: BeirDocument): string {
  return doc.title === '' ? doc.text : `${doc.title}\n\n${doc.text}`
}
