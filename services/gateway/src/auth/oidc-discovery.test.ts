import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fakeClock } from '@switchyard/testing'
import { expect, onTestFinished, test } from 'vitest'
import { createOidcVerifier } from './oidc.ts'

test('after a failed discovery the issuer is asked again only once the backoff has passed, which doubles', async () => {
  let discoveries = 0
  const server = createServer((_req, res) => {
    discoveries += 1
    res.writeHead(500).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const clock = fakeClock()
  const verifier = createOidcVerifier({
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    audience: ['switchyard'],
    algorithms: ['RS256'],
    claims: { user: 'sub', org: 'org_id', roles: 'roles' },
    clockToleranceSeconds: 30,
    jwksCooldownMs: 0,
    jwksMaxAgeMs: 600_000,
    discoveryRetryMs: 1_000,
    now: clock.now,
  })
  const unavailable = { statusCode: 503, code: 'GATEWAY_ERR_AUTH_UNAVAILABLE' }
  await expect(verifier.verify('a.b.c')).rejects.toMatchObject(unavailable)
  expect(discoveries).toBe(1)
  for (let i = 0; i < 20; i++) await expect(verifier.verify('a.b.c')).rejects.toMatchObject(unavailable)
  expect(discoveries).toBe(1)
  clock.advance(1_000)
  await expect(verifier.verify('a.b.c')).rejects.toMatchObject(unavailable)
  expect(discoveries).toBe(2)
  // The second failure waits twice as long.
  clock.advance(1_999)
  await expect(verifier.verify('a.b.c')).rejects.toMatchObject(unavailable)
  expect(discoveries).toBe(2)
  clock.advance(1)
  await expect(verifier.verify('a.b.c')).rejects.toMatchObject(unavailable)
  expect(discoveries).toBe(3)
})
