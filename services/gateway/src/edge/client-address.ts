import type { FastifyRequest } from 'fastify'

/**
 * The client's address: the connection's, or with `trustedHops` proxies in front (each appending
 * the address it saw to X-Forwarded-For) the entry that many hops from the right. Entries further
 * left are the client's own claims and are never used.
 */
export function clientAddress(request: FastifyRequest, trustedHops: number): string {
  if (trustedHops === 0) return request.ip
  const header = request.headers['x-forwarded-for']
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  const chain = [...forwarded, request.ip]
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? request.ip
}
