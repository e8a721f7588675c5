import { expect, test } from 'vitest'
import { createAddressPolicy } from '../net/address-policy.ts'
import { createAllowList } from '../net/allow-list.ts'
import { createGuardedAgent } from '../net/guarded-agent.ts'
import { localServer } from '../net/local-server.ts'
import { createSafeFetch } from '../net/safe-fetch.ts'
import { ToolError } from '../tool.ts'
import { httpFetchTool } from './http-fetch.ts'
import { callContext } from './test-context.ts'

const fetch = createSafeFetch({
  dispatcher: createGuardedAgent({
    policy: createAddressPolicy(['127.0.0.2/32']),
    resolve: async (name) => (name === 'docs.test' ? [{ address: '127.0.0.2' }] : [{ address: '127.0.0.1' }]),
  }),
  maxBytes: 64,
  timeoutMs: 10_000,
  maxRedirects: 2,
})

test('an allowed URL answers its status, type and text', async () => {
  const server = await localServer('127.0.0.2', (_, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>'),
  )
  const tool = httpFetchTool(fetch, createAllowList([`http://docs.test:${server.port}`]))
  const url = `http://docs.test:${server.port}/page`
  expect(await tool.call({ url }, callContext())).toEqual({
    url,
    status: 200,
    content_type: 'text/html',
    truncated: false,
    body: '<p>hi</p>',
  })
})

test.each([
  ['a host off the allow-list', 'http://elsewhere.test/', "not on the org's allow-list"],
  ['a loopback address even when allowed', 'http://inside.test/', 'loopback address'],
  ['not a URL', 'docs', 'not a URL'],
])('%s is a tool error', async (_, url, message) => {
  const tool = httpFetchTool(fetch, createAllowList(['http://inside.test']))
  const error = await tool.call({ url }, callContext()).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ToolError)
  expect((error as Error).message).toContain(message)
})
