import ipaddr from 'ipaddr.js'

/** Decides which resolved addresses a tool may connect to. */
export interface AddressPolicy {
  /** Why `address` is refused (its range's name), or null when a tool may connect to it. */
  refusal(address: string): string | null
}

/**
 * Only global unicast addresses, minus what the operator trusts. ipaddr.js names every special
 * range (loopback, private, carrierGradeNat, linkLocal with 169.254.169.254, uniqueLocal with
 * fd00:ec2::254, unspecified, multicast, 6to4, teredo, NAT64...), so anything but `unicast` is
 * refused: a new special range is refused by default. IPv4-mapped IPv6 (::ffff:127.0.0.1) is
 * judged as the IPv4 address it carries.
 *
 * @param trusted CIDRs (`10.20.0.0/16`, `127.0.0.1/32`) an operator allows anyway, for MCP
 *   servers and tool endpoints inside their own network.
 */
export function createAddressPolicy(trusted: readonly string[] = []): AddressPolicy {
  const ranges = trusted.map((cidr) => ipaddr.parseCIDR(cidr))
  return {
    refusal(address) {
      if (!ipaddr.isValid(address)) return 'not an IP address'
      const ip = ipaddr.process(address)
      if (ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return null
      const range = ip.range()
      return range === 'unicast' ? null : range
    },
  }
}

/** Whether every entry is a CIDR ipaddr.js parses (for the config's validation). */
export function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value)
    return true
  } catch {
    return false
  }
}
