import { alice, bob, eve } from '@switchyard/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RagUnderTest, startRag } from '../test-support.ts'

const cap = 64 * 1024
let rag: RagUnderTest

beforeAll(async () => {
  rag = await startRag({ RAG_MAX_UPLOAD_BYTES: String(cap) })
}, 60_000)
afterAll(() => rag?.close())

/** How many originals an org has in the object store, counted by deleting them: for an org the test is done with. */
async function storedOriginals(orgId: string): Promise<number> {
  const objects = rag.peer.context().objects
  if (objects === undefined) throw new Error('the peer has no object store')
  return objects.deletePrefix(`${orgId}/`)
}

describe('POST /v1/files', () => {
  test('stores the original and answers an OpenAI File object', async () => {
    const content = 'Cranes fly south in winter.\n'
    const res = await rag.upload(alice, { name: 'cranes.txt', content })
    expect(res.statusCode, res.body).toBe(200)
    const file = res.json()
    expect(file).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(content),
      filename: 'cranes.txt',
      purpose: 'assistants',
      status: 'processed',
    })
    expect(file.id).toMatch(/^file-[0-9A-Za-z]{22}$/)
    expect(Math.abs(file.created_at - Date.now() / 1000)).toBeLessThan(60)

    const back = await rag.request(alice, 'GET', `/v1/files/${file.id}/content`)
    expect(back.statusCode).toBe(200)
    expect(back.body).toBe(content)
    expect(back.headers['content-type']).toContain('text/plain')
    // bob is in alice's org: files are the org's.
    expect((await rag.request(bob, 'GET', `/v1/files/${file.id}`)).json()).toEqual(file)
  })

  test('a file over the cap is a 413 and leaves no original behind', async () => {
    const org = { ...eve, orgId: 'org_oversize' }
    const res = await rag.upload(org, { name: 'big.bin', content: new Uint8Array(cap + 1) })
    expect(res.statusCode).toBe(413)
    expect(res.json().error).toMatchObject({ code: 'RAG_ERR_FILE_TOO_LARGE', type: 'invalid_request_error' })
    expect(res.json().error.message).toContain(String(cap))
    expect(await storedOriginals(org.orgId)).toBe(0)
    expect((await rag.request(org, 'GET', '/v1/files')).json().data).toEqual([])
    // Exactly the cap is accepted.
    expect((await rag.upload(org, { name: 'fits.bin', content: new Uint8Array(cap) })).statusCode).toBe(200)
  })

  test('an unknown or missing purpose is a 400 naming it, and leaves nothing behind', async () => {
    const org = { ...eve, orgId: 'org_purpose' }
    for (const purpose of ['fine-tune', '']) {
      const res = await rag.upload(org, { name: 'a.txt', content: 'x' }, purpose)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toMatchObject({ code: 'RAG_ERR_UNSUPPORTED_PURPOSE', param: 'purpose' })
    }
    expect(await storedOriginals(org.orgId)).toBe(0)
    expect((await rag.request(org, 'GET', '/v1/files')).json().data).toEqual([])
  })

  test('a body that is not multipart, or has no file, is a 400', async () => {
    const json = await rag.request(alice, 'POST', '/v1/files', { purpose: 'assistants' })
    expect(json.statusCode).toBe(400)
    expect(json.json().error).toMatchObject({ code: 'RAG_ERR_FILE_REQUIRED', param: 'file' })
  })
})

describe('GET /v1/files', () => {
  test('pages newest first with OpenAI cursors, both ways', async () => {
    const org = { ...alice, orgId: 'org_paging' }
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push((await rag.upload(org, { name: `f${i}.txt`, content: `${i}` })).json().id)
    const newestFirst = [...ids].reverse()

    const first = (await rag.request(org, 'GET', '/v1/files?limit=2')).json()
    expect(first).toMatchObject({
      object: 'list',
      has_more: true,
      first_id: newestFirst[0],
      last_id: newestFirst[1],
    })
    expect(first.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(0, 2))
    const second = (await rag.request(org, 'GET', `/v1/files?limit=2&after=${first.last_id}`)).json()
    expect(second.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(2, 4))
    const last = (await rag.request(org, 'GET', `/v1/files?limit=2&after=${second.last_id}`)).json()
    expect(last).toMatchObject({ has_more: false, data: [{ id: newestFirst[4] }] })
    // `before` gives back the page just before a cursor, in the same order.
    const back = (await rag.request(org, 'GET', `/v1/files?limit=2&before=${last.first_id}`)).json()
    expect(back.data.map((f: { id: string }) => f.id)).toEqual(newestFirst.slice(2, 4))
    expect(back.has_more).toBe(true)

    const asc = (await rag.request(org, 'GET', '/v1/files?order=asc&limit=100')).json()
    expect(asc.data.map((f: { id: string }) => f.id)).toEqual(ids)
    const empty = (await rag.request(org, 'GET', '/v1/files?purpose=batch')).json()
    expect(empty).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false })
  })

  test('out-of-range limits, an unknown order and a malformed cursor are 400s naming the parameter', async () => {
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['order=sideways', 'order'],
      ['after=vs_abc', 'after'],
    ]) {
      const res = await rag.request(alice, 'GET', `/v1/files?${query}`)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().error, query).toMatchObject({ code: 'KIT_ERR_VALIDATION', param })
    }
  })
})

describe('DELETE /v1/files/{id}', () => {
  test('removes the row and the original; the id is then unknown everywhere', async () => {
    const org = { ...alice, orgId: 'org_delete' }
    const file = (await rag.upload(org, { name: 'gone.txt', content: 'bye' })).json()
    const res = await rag.request(org, 'DELETE', `/v1/files/${file.id}`)
    expect(res.json()).toEqual({ id: file.id, object: 'file', deleted: true })
    expect(await storedOriginals(org.orgId)).toBe(0)
    for (const [method, url] of [
      ['GET', `/v1/files/${file.id}`],
      ['GET', `/v1/files/${file.id}/content`],
      ['DELETE', `/v1/files/${file.id}`],
    ] as const) {
      const again = await rag.request(org, method, url)
      expect(again.statusCode).toBe(404)
      expect(again.json().error).toMatchObject({ code: 'RAG_ERR_FILE_NOT_FOUND', param: 'file_id' })
    }
  })

  test('an id of the wrong kind is simply not found', async () => {
    const res = await rag.request(alice, 'GET', '/v1/files/vs_0000000000000000000000')
    expect(res.statusCode).toBe(404)
    expect(res.json().error.type).toBe('invalid_request_error')
  })
})
