import type { Identity } from '@switchyard/contracts'
import { buildTestApp, type StandIn, standIn, type TestApp } from '@switchyard/testing'
import type { LightMyRequestResponse } from 'fastify'
import { ragService } from './service.ts'

export interface RagUnderTest {
  app: TestApp
  /** A stand-in sharing the process's database, bus and object store, to look behind the API. */
  peer: StandIn
  request(identity: Identity, method: string, url: string, body?: unknown): Promise<LightMyRequestResponse>
  /** `POST /v1/files` as the openai client sends it: multipart, `file` first, then `purpose`. */
  upload(
    identity: Identity,
    file: { name: string; content: string | Uint8Array; type?: string },
    purpose?: string,
  ): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

/**
 * Rag in the one-process shape, with a stand-in llm-router and a peer that sees its backends; or,
 * with `target: 'rag'`, rag alone on the real backends `env` names (the peer does not run then).
 */
export async function startRag(env: Record<string, string> = {}, target?: 'rag'): Promise<RagUnderTest> {
  const peer = standIn('admin', { needs: ['sql', 'bus', 'objects'] })
  const app = await buildTestApp({
    services: { rag: ragService, 'llm-router': standIn('llm-router').service, admin: peer.service },
    env,
    ...(target !== undefined && { target }),
  })
  const rag = app.app('rag')
  return {
    app,
    peer,
    async request(identity, method, url, body) {
      return rag.inject({
        method: method as 'GET',
        url,
        headers: await app.headers(identity),
        ...(body !== undefined && { payload: body as object }),
      })
    },
    async upload(identity, file, purpose = 'assistants') {
      const form = new FormData()
      form.append('file', new Blob([file.content], { type: file.type ?? 'text/plain' }), file.name)
      if (purpose !== '') form.append('purpose', purpose)
      const encoded = new Request('http://rag.test/v1/files', { method: 'POST', body: form })
      return rag.inject({
        method: 'POST',
        url: '/v1/files',
        headers: {
          ...(await app.headers(identity)),
          'content-type': encoded.headers.get('content-type') as string,
        },
        payload: Buffer.from(await encoded.arrayBuffer()),
      })
    },
    close: () => app.close(),
  }
}
