import { alice, buildTestApp, standIn } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { agentService } from './service.ts'

test('agent starts on its migrated database and answers an unknown path with a 404 in the OpenAI shape', async () => {
  // A stand-in with SQL shares the one-process database, to look at what the migration made.
  const peer = standIn('admin', { needs: ['sql'] })
  const app = await buildTestApp({
    services: {
      agent: agentService,
      'llm-router': standIn('llm-router').service,
      rag: standIn('rag').service,
      admin: peer.service,
    },
  })
  onTestFinished(() => app.close())
  const agent = app.app('agent')
  expect((await agent.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)

  const res = await agent.inject({ method: 'GET', url: '/v1/nowhere', headers: await app.headers(alice) })
  expect(res.statusCode).toBe(404)
  expect(res.json()).toMatchObject({ error: { code: 'KIT_ERR_NOT_FOUND', type: expect.any(String) } })

  const sql = peer.context().sql as NonNullable<ReturnType<typeof peer.context>['sql']>
  const { rows } = await sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns WHERE column_name = 'org_id' AND table_name = 'agents'`,
  )
  expect(rows).toEqual([{ table_name: 'agents' }])
})
