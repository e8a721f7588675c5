import { alice, eve } from '@switchyard/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { RagUnderTest } from './test-support.ts'

/**
 * eve (another org, with alice's user id) tries every route on alice's file, store, attachment
 * and batch: each is a 404, her lists are empty, and alice's data is unchanged. Run on PGlite
 * (unit) and on real PostgreSQL (integration).
 */
export function tenancySuite(start: () => Promise<RagUnderTest>): void {
  let rag: RagUnderTest
  let fileId: string
  let storeId: string
  let batchId: string

  beforeAll(async () => {
    rag = await start()
    const ok = <T>(res: { statusCode: number; body: string; json(): T }) => {
      expect(res.statusCode, res.body).toBe(200)
      return res.json()
    }
    fileId = ok<{ id: string }>(
      await rag.upload(alice, { name: 'secret.txt', content: 'the launch code' }),
    ).id
    storeId = ok<{ id: string }>(
      await rag.request(alice, 'POST', '/v1/vector_stores', { name: 'private', file_ids: [fileId] }),
    ).id
    batchId = ok<{ id: string }>(
      await rag.request(alice, 'POST', `/v1/vector_stores/${storeId}/file_batches`, { file_ids: [fileId] }),
    ).id
  }, 120_000)
  afterAll(() => rag?.close())

  test('another org gets 404 on every route, with the code of what it asked for', async () => {
    const store = `/v1/vector_stores/${storeId}`
    const calls: [string, string, object | undefined, string][] = [
      ['GET', `/v1/files/${fileId}`, undefined, 'RAG_ERR_FILE_NOT_FOUND'],
      ['GET', `/v1/files/${fileId}/content`, undefined, 'RAG_ERR_FILE_NOT_FOUND'],
      ['DELETE', `/v1/files/${fileId}`, undefined, 'RAG_ERR_FILE_NOT_FOUND'],
      ['GET', store, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['POST', store, { name: 'taken' }, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['DELETE', store, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['GET', `${store}/files`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['POST', `${store}/files`, { file_id: fileId }, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['GET', `${store}/files/${fileId}`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['POST', `${store}/files/${fileId}`, { attributes: { x: 1 } }, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['DELETE', `${store}/files/${fileId}`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['POST', `${store}/file_batches`, { file_ids: [fileId] }, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['GET', `${store}/file_batches/${batchId}`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['POST', `${store}/file_batches/${batchId}/cancel`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
      ['GET', `${store}/file_batches/${batchId}/files`, undefined, 'RAG_ERR_VECTOR_STORE_NOT_FOUND'],
    ]
    for (const [method, url, body, code] of calls) {
      const res = await rag.request(eve, method, url, body)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().error, `${method} ${url}`).toMatchObject({ code, type: 'invalid_request_error' })
    }
  })

  test("another org cannot use alice's file in its own store", async () => {
    const own = (await rag.request(eve, 'POST', '/v1/vector_stores', {})).json().id
    const attach = await rag.request(eve, 'POST', `/v1/vector_stores/${own}/files`, { file_id: fileId })
    expect(attach.json().error?.code).toBe('RAG_ERR_FILE_NOT_FOUND')
    const created = await rag.request(eve, 'POST', '/v1/vector_stores', { file_ids: [fileId] })
    expect(created.json().error?.code).toBe('RAG_ERR_FILE_NOT_FOUND')
  })

  test("another org's lists hold none of it, and alice's data is unchanged", async () => {
    for (const url of ['/v1/files', '/v1/vector_stores']) {
      const listed = (await rag.request(eve, 'GET', url)).json()
      expect(
        listed.data.map((o: { id: string }) => o.id),
        url,
      ).not.toContain(url === '/v1/files' ? fileId : storeId)
    }
    const store = (await rag.request(alice, 'GET', `/v1/vector_stores/${storeId}`)).json()
    expect(store).toMatchObject({ name: 'private', file_counts: { total: 1 } })
    const file = (await rag.request(alice, 'GET', `/v1/vector_stores/${storeId}/files/${fileId}`)).json()
    expect(file.attributes).toEqual({})
    expect((await rag.request(alice, 'GET', `/v1/files/${fileId}/content`)).body).toBe('the launch code')
    const batch = (
      await rag.request(alice, 'GET', `/v1/vector_stores/${storeId}/file_batches/${batchId}`)
    ).json()
    expect(batch.status).not.toBe('cancelled')
  })
}
