// Must-show 5: tools refuse loopback, private, link-local and metadata addresses after DNS
// resolution (a test table stands in for DNS) and across redirects. The servers listen on
// loopback; only 127.0.0.2 is trusted, as an operator would trust an internal network.
import { afterEach, describe, expect, test } from 'vitest'
import { createAddressPolicy } from './address-policy.ts'
import { createAllowList } from './allow-list.ts'
import { AddressRefusedError, createGuardedAgent, type ResolveHost } from './guarded-agent.ts'
import { localServer } from './local-server.ts'
import { createSafeFetch, FetchRefusedError } from './safe-fetch.ts'

const hosts: Record<string, string[]> = {
  'public.test': ['127.0.0.2'],
  'other.test': ['127.0.0.3'],
  'inside.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'private.test': ['10.0.0.7'],
  'ula.test': ['fd00:ec2::254'],
  // One public-looking answer and one inside: refused, whichever the socket would pick.
  'split.test': ['127.0.0.2', '127.0.0.1'],
}
const resolved: string[] = []
const resolve: ResolveHost = async (name) => {
  resolved.push(name)
  const addresses = hosts[name]
  if (addresses === undefined)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
  return addresses.map((address) => ({ address }))
}
afterEach(() => {
  resolved.length = 0
})

function tools(options: { maxBytes?: number; maxRedirects?: number } = {}) {
  const dispatcher = createGuardedAgent({
    policy: createAddressPolicy(['127.0.0.2/32', '127.0.0.3/32']),
    resolve,
  })
  return createSafeFetch({
    dispatcher,
    maxBytes: options.maxBytes ?? 4096,
    timeoutMs: 10_000,
    maxRedirects: options.maxRedirects ?? 5,
  })
}

const ok = (body: string) => (_: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end(body)
}
const redirectTo =
  (location: string, status = 302) =>
  (_: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(status, { location }).end()
  }

test('a trusted address answers, through its name', async () => {
  const server = await localServer('127.0.0.2', ok('hello'))
  const res = await tools()({ url: `http://public.test:${server.port}/x` })
  expect(res).toMatchObject({ status: 200, text: 'hello', truncated: false, contentType: 'text/plain' })
  expect(server.hits.map((hit) => hit.headers.host)).toEqual([`public.test:${server.port}`])
})

describe('refused after DNS resolution', () => {
  test.each([
    ['inside.test', '127.0.0.1', 'loopback'],
    ['metadata.test', '169.254.169.254', 'linkLocal'],
    ['private.test', '10.0.0.7', 'private'],
    ['ula.test', 'fd00:ec2::254', 'uniqueLocal'],
    ['split.test', '127.0.0.1', 'loopback'],
  ])('%s (%s) is refused as %s, and nothing connects', async (name, address, range) => {
    const target = await localServer('127.0.0.1', ok('secret'))
    const error = await tools()({ url: `http://${name}:${target.port}/` }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressRefusedError)
    expect(error).toMatchObject({ host: name, address, range })
    expect(resolved).toContain(name)
    expect(target.hits).toEqual([])
  })

  test.each(['127.0.0.1', '[::1]', '169.254.169.254', '[::ffff:127.0.0.1]', '0.0.0.0'])(
    'the literal address %s is refused without a lookup',
    async (host) => {
      const error = await tools()({ url: `http://${host}:9/` }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AddressRefusedError)
      expect(resolved).toEqual([])
    },
  )
})

describe('refused across redirects', () => {
  test('a trusted server that redirects to 127.0.0.1 is refused, and the target sees nothing', async () => {
    const target = await localServer('127.0.0.1', ok('secret'))
    const hop = await localServer('127.0.0.2', redirectTo(`http://127.0.0.1:${target.port}/admin`))
    const error = await tools()({ url: `http://public.test:${hop.port}/` }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AddressRefusedError)
    expect(hop.hits).toHaveLength(1)
    expect(target.hits).toEqual([])
  })

  test.each(['inside.test', 'metadata.test'])(
    'a redirect to %s is refused after its lookup',
    async (name) => {
      const target = await localServer('127.0.0.1', ok('secret'))
      const hop = await localServer(
        '127.0.0.2',
        redirectTo(`http://${name}:${target.port}/latest/meta-data/`, 307),
      )
      const error = await tools()({ url: `http://public.test:${hop.port}/` }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AddressRefusedError)
      expect(resolved).toEqual(['public.test', name])
      expect(target.hits).toEqual([])
    },
  )

  test('every redirect target is checked against the allow-list too', async () => {
    const other = await localServer('127.0.0.3', ok('elsewhere'))
    const hop = await localServer('127.0.0.2', redirectTo(`http://other.test:${other.port}/`))
    const allow = createAllowList([`http://public.test:${hop.port}`])
    const error = await tools()({
      url: `http://public.test:${hop.port}/`,
      refusal: (url) => allow.refusal(url),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FetchRefusedError)
    expect((error as Error).message).toContain(
      `http://other.test:${other.port} is not on the org's allow-list`,
    )
    expect(other.hits).toEqual([])
  })

  test('a redirect to another scheme is refused', async () => {
    const hop = await localServer('127.0.0.2', redirectTo('file:///etc/passwd'))
    await expect(tools()({ url: `http://public.test:${hop.port}/` })).rejects.toThrow(
      'scheme file: is not fetched',
    )
  })

  test('redirects past the cap fail', async () => {
    const loop = await localServer('127.0.0.2', redirectTo('/again'))
    await expect(tools({ maxRedirects: 3 })({ url: `http://public.test:${loop.port}/` })).rejects.toThrow(
      'more than 3 redirects',
    )
    expect(loop.hits).toHaveLength(4)
  })

  test('a secret header does not follow a redirect to another origin; others do', async () => {
    const other = await localServer('127.0.0.3', ok('done'))
    const hop = await localServer('127.0.0.2', redirectTo(`http://other.test:${other.port}/`, 307))
    const res = await tools()({
      url: `http://public.test:${hop.port}/`,
      method: 'POST',
      headers: { authorization: 'Bearer s3cret', 'x-trace': 't1', 'content-type': 'application/json' },
      sensitiveHeaders: ['authorization'],
      body: '{"a":1}',
    })
    expect(res.text).toBe('done')
    expect(hop.hits[0]?.headers.authorization).toBe('Bearer s3cret')
    expect(other.hits[0]?.headers.authorization).toBeUndefined()
    expect(other.hits[0]).toMatchObject({ method: 'POST', body: '{"a":1}', headers: { 'x-trace': 't1' } })
  })

  test('a 303 turns a POST into a GET without its body', async () => {
    const hop = await localServer('127.0.0.2', (hit, res) =>
      hit.method === 'POST' ? redirectTo('/result', 303)(hit, res) : ok('result')(hit, res),
    )
    const res = await tools()({ url: `http://public.test:${hop.port}/`, method: 'POST', body: 'x=1' })
    expect(res.text).toBe('result')
    expect(hop.hits.map((hit) => [hit.method, hit.url, hit.body])).toEqual([
      ['POST', '/', 'x=1'],
      ['GET', '/result', ''],
    ])
  })
})

test('a body over the cap is cut at the cap and marked truncated', async () => {
  const big = 'x'.repeat(100_000)
  const server = await localServer('127.0.0.2', ok(big))
  const res = await tools({ maxBytes: 1000 })({ url: `http://public.test:${server.port}/` })
  expect(res.truncated).toBe(true)
  expect(res.text).toBe(big.slice(0, 1000))
})
