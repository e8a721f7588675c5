import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { Agent, buildConnector } from 'undici'
import type { AddressPolicy } from './address-policy.ts'

/** Resolves a host name to every address it has (`dns.lookup` with `all`, or a test's table). */
export type ResolveHost = (hostname: string) => Promise<readonly { address: string }[]>

export const resolveWithDns: ResolveHost = (hostname) => dnsLookup(hostname, { all: true })

/** A connection refused before it was opened: the host resolved to an address tools may not reach. */
export class AddressRefusedError extends Error {
  override name = 'AddressRefusedError'
  readonly code = 'AGENT_TOOL_ADDRESS_REFUSED'
  readonly host: string
  readonly address: string
  readonly range: string
  constructor(host: string, address: string, range: string) {
    super(
      host === address
        ? `${address} is a ${range} address, which tools may not reach`
        : `${host} resolves to ${address}, a ${range} address, which tools may not reach`,
    )
    this.host = host
    this.address = address
    this.range = range
  }
}

export interface GuardedAgentOptions {
  policy: AddressPolicy
  resolve?: ResolveHost
  /** Connect timeout, in milliseconds. */
  connectTimeoutMs?: number
}

/**
 * An undici Agent that checks addresses where the connection is made, so nothing that uses it
 * (a redirect followed, a pooled origin, the MCP client) can skip the check: it resolves the host
 * itself, refuses when any address is refused (a name that also points inside is not trusted
 * for its other answers), and connects to the address it checked. The socket never resolves the
 * name again, so a DNS answer that changes between check and connect (rebinding) cannot slip in.
 * TLS still verifies the certificate against the host name (servername).
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const resolve = options.resolve ?? resolveWithDns
  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 })
  return new Agent({
    connect(opts, callback) {
      const host = opts.hostname.replace(/^\[(.*)\]$/, '$1')
      checkedAddress(host, resolve, options.policy).then(
        (address) =>
          connect(
            { ...opts, hostname: address, ...(isIP(host) === 0 && { servername: opts.servername ?? host }) },
            callback,
          ),
        (error: Error) => callback(error, null),
      )
    },
  })
}

async function checkedAddress(host: string, resolve: ResolveHost, policy: AddressPolicy): Promise<string> {
  const addresses = isIP(host) === 0 ? (await resolve(host)).map((a) => a.address) : [host]
  if (addresses.length === 0) throw new Error(`${host} has no address`)
  for (const address of addresses) {
    const range = policy.refusal(address)
    if (range !== null) throw new AddressRefusedError(host, address, range)
  }
  return addresses[0] as string
}
