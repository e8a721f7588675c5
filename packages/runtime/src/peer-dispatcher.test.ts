import type { ServiceName } from '@switchyard/contracts'
import Fastify from 'fastify'
import { expect, onTestFinished, test } from 'vitest'
import { InProcessDispatcher } from './in-process-dispatcher.ts'
import { createPeerDispatcher, UndeclaredCallError } from './peer-dispatcher.ts'

const urls = Object.fromEntries(
  (['gateway', 'llm-router', 'chat', 'agent', 'rag', 'admin'] as const).map((name) => [
    name,
    `http://${name}.internal`,
  ]),
) as Record<ServiceName, string>

async function chatCallingAdmin() {
  const server = Fastify()
  server.get('/ping', async () => ({ pong: true }))
  onTestFinished(() => server.close())
  await server.ready()
  // Every service answers here: only the caller's `calls` decide what it may reach.
  const transport = new InProcessDispatcher(() => server)
  return createPeerDispatcher({ transport, caller: 'chat', calls: ['admin'], urls })
}

test('a service reaches a service it lists in calls', async () => {
  const dispatcher = await chatCallingAdmin()
  const res = await dispatcher.request({ origin: urls.admin, path: '/ping', method: 'GET' })
  expect(await res.body.json()).toEqual({ pong: true })
})

test('a call to a service not in calls fails before it is sent, naming the fix', async () => {
  const dispatcher = await chatCallingAdmin()
  const error = await dispatcher.request({ origin: urls.rag, path: '/ping', method: 'GET' }).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UndeclaredCallError)
  expect((error as Error).message).toBe(
    "chat called rag, which its definition does not list in calls: add 'rag' to calls",
  )
})

test('an origin that is no service is refused too: the dispatcher reaches peers only', async () => {
  const dispatcher = await chatCallingAdmin()
  await expect(
    dispatcher.request({ origin: 'http://example.com', path: '/', method: 'GET' }),
  ).rejects.toThrow(
    'chat called http://example.com, which is no service: ctx.dispatcher reaches only the services in its calls',
  )
})
