import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  generateInternalKeyPair,
} from '@switchyard/kit'
import { alice, fakeClock } from '@switchyard/testing'
import { expect, test } from 'vitest'
import { createTokenMinter } from './tokens.ts'

const keys = generateInternalKeyPair()
const signer = createInternalTokenSigner({ privateKey: keys.privateKey })
const verifier = createInternalTokenVerifier({ publicKey: keys.publicKey })

test('a token is reused for exactly the same identity within the reuse period, then minted again', async () => {
  const clock = fakeClock()
  const mint = createTokenMinter(signer, { reuseMs: 20_000, now: clock.now })
  const first = await mint(alice)
  expect(await mint({ ...alice, scopes: [...alice.scopes] })).toBe(first)
  // Any field that differs is another identity, with a token of its own.
  const others = [
    { ...alice, scopes: ['chat:write', 'admin:read'] },
    { ...alice, keyId: 'key_2' },
    { ...alice, keyId: null },
    { ...alice, orgId: 'org_other' },
  ]
  for (const other of others) {
    const token = await mint(other)
    expect(token).not.toBe(first)
    await expect(verifier.verify(token)).resolves.toEqual(other)
  }
  clock.advance(20_001)
  const renewed = await mint(alice)
  expect(renewed).not.toBe(first)
  await expect(verifier.verify(renewed)).resolves.toEqual(alice)
})

test('reuse 0 mints a fresh token for every request', async () => {
  const mint = createTokenMinter(signer, { reuseMs: 0 })
  const tokens = new Set([await mint(alice), await mint(alice), await mint(alice)])
  expect(tokens.size).toBe(3)
})
