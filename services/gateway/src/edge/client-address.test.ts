import type { FastifyRequest } from 'fastify'
import { expect, test } from 'vitest'
import { clientAddress } from './client-address.ts'

const request = (ip: string, forwardedFor?: string) =>
  ({ ip, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as FastifyRequest

test("the client address is the connection's unless proxies are trusted, and a client's own claims never count", () => {
  expect(clientAddress(request('10.0.0.9', '203.0.113.7'), 0)).toBe('10.0.0.9')
  // One load balancer: it appended the address it saw; what the client wrote before is ignored.
  expect(clientAddress(request('10.0.0.9', '203.0.113.7'), 1)).toBe('203.0.113.7')
  expect(clientAddress(request('10.0.0.9', '1.2.3.4, 203.0.113.7'), 1)).toBe('203.0.113.7')
  expect(clientAddress(request('10.0.0.9', '1.2.3.4, 203.0.113.7, 10.0.0.2'), 2)).toBe('203.0.113.7')
  // Fewer entries than hops: the leftmost there is.
  expect(clientAddress(request('10.0.0.9'), 1)).toBe('10.0.0.9')
})
