import { generateKeyPairSync } from 'node:crypto'
import { expect, test } from 'vitest'
import { eventSigningKey, eventVerifyKey, signEventData, verifyEventData } from './event-signature.ts'

const pair = () => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { signing: eventSigningKey(pem), verifying: eventVerifyKey(pem) }
}

test('a signature holds whatever order the keys come back in, and nothing else passes', () => {
  const admin = pair()
  const data = { kind: 'budget', orgId: 'org_a', version: 3, payload: { amountUsd: 5, period: 'day' } }
  const signature = signEventData(data, admin.signing)
  const reordered = { payload: { period: 'day', amountUsd: 5 }, version: 3, orgId: 'org_a', kind: 'budget' }
  expect(verifyEventData(reordered, signature, admin.verifying)).toBe(true)
  expect(
    verifyEventData({ ...data, payload: { amountUsd: 5000, period: 'day' } }, signature, admin.verifying),
  ).toBe(false)
  expect(verifyEventData(data, signEventData(data, pair().signing), admin.verifying)).toBe(false)
  expect(verifyEventData(data, undefined, admin.verifying)).toBe(false)
  expect(verifyEventData(data, 'not base64 at all %%', admin.verifying)).toBe(false)
})

test('keys of another type are refused', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  expect(() => eventSigningKey(pem)).toThrow(/Ed25519/)
  expect(() => eventVerifyKey(pem)).toThrow(/Ed25519/)
})
