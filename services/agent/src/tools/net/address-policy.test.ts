import { describe, expect, test } from 'vitest'
import { createAddressPolicy } from './address-policy.ts'

describe('addresses tools may not reach', () => {
  const policy = createAddressPolicy()
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    // The same addresses wrapped in IPv6 are judged as what they carry, or refused as special.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
  ])('%s is refused as %s', (address, range) => {
    expect(policy.refusal(address)).toBe(range)
  })

  test.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111'])('%s is public', (address) => {
    expect(policy.refusal(address)).toBeNull()
  })

  test('a name is not an address', () => {
    expect(policy.refusal('localhost')).toBe('not an IP address')
  })
})

test('an operator trusts a network explicitly, and only that network', () => {
  const policy = createAddressPolicy(['127.0.0.2/32', '10.20.0.0/16', 'fd12::/16'])
  expect(policy.refusal('127.0.0.2')).toBeNull()
  expect(policy.refusal('10.20.3.4')).toBeNull()
  expect(policy.refusal('fd12::5')).toBeNull()
  expect(policy.refusal('127.0.0.1')).toBe('loopback')
  expect(policy.refusal('10.21.0.1')).toBe('private')
  expect(policy.refusal('169.254.169.254')).toBe('linkLocal')
})
