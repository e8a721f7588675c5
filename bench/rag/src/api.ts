// Rag's public API as a user's program calls it (what the openai client sends): uploads, a vector
// store, file batches, polling, search. Over HTTP to rag's own server, with the caller's token.
import { Pool } from 'undici'

export interface SearchResult {
  file_id: string
  filename: string
  score: number
  attributes: Record<string, string | number | boolean> | null
}

export type Attributes = Record<string, string | number | boolean>

export class RagApi {
  readonly url: string
  readonly #pool: Pool
  readonly #headers: Record<string, string>

  constructor(url: string, headers: Record<string, string>) {
    this.url = url
    this.#pool = new Pool(url, { connections: 16 })
    this.#headers = headers
  }

  async #json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.#pool.request({
      method,
      path,
      headers: { ...this.#headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text}`)
    return JSON.parse(text) as T
  }

  /** `POST /v1/files`, multipart as the openai client sends it; the file's id. */
  async upload(filename: string, content: string): Promise<string> {
    const form = new FormData()
    form.append('file', new Blob([content], { type: 'text/plain' }), filename)
    form.append('purpose', 'assistants')
    const res = await fetch(`${this.url}/v1/files`, { method: 'POST', headers: this.#headers, body: form })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`upload ${filename}: HTTP ${res.status}: ${text}`)
    return (JSON.parse(text) as { id: string }).id
  }

  async createVectorStore(body: {
    name: string
    embedding_model?: string
    chunking_strategy?: unknown
  }): Promise<string> {
    return (await this.#json<{ id: string }>('POST', '/v1/vector_stores', body)).id
  }

  /** Attaches files in batches of 500 (the API's most), each with its attributes. */
  async attach(vectorStoreId: string, files: { file_id: string; attributes: Attributes }[]): Promise<void> {
    for (let i = 0; i < files.length; i += 500)
      await this.#json('POST', `/v1/vector_stores/${vectorStoreId}/file_batches`, {
        files: files.slice(i, i + 500),
      })
  }

  async fileCounts(
    vectorStoreId: string,
  ): Promise<Record<'in_progress' | 'completed' | 'failed' | 'cancelled' | 'total', number>> {
    return (
      await this.#json<{
        file_counts: Record<'in_progress' | 'completed' | 'failed' | 'cancelled' | 'total', number>
      }>('GET', `/v1/vector_stores/${vectorStoreId}`)
    ).file_counts
  }

  /** Polls the store until no file is in progress; `onProgress` gets the counts each time. */
  async waitIngested(
    vectorStoreId: string,
    onProgress: (counts: Awaited<ReturnType<RagApi['fileCounts']>>) => void,
    intervalMs = 1_000,
  ) {
    for (;;) {
      const counts = await this.fileCounts(vectorStoreId)
      onProgress(counts)
      if (counts.in_progress === 0) return counts
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }

  async search(
    vectorStoreId: string,
    body: { query: string; mode: 'vector' | 'fulltext' | 'hybrid'; max_num_results: number },
  ): Promise<SearchResult[]> {
    return (
      await this.#json<{ data: SearchResult[] }>('POST', `/v1/vector_stores/${vectorStoreId}/search`, body)
    ).data
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}
