import { scopes } from '@switchyard/contracts'
import { describe, expect, test } from 'vitest'
import { alice } from '../test-support.ts'
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  generateInternalKeyPair,
  workerTokenIssuer,
} from './internal-token.ts'

// A worker (rag's ingestion) mints tokens for a requester after their request ended, with a key of
// its own: the verifier takes them for llm:use and files:read, and nothing else.
describe('worker tokens', () => {
  const gateway = generateInternalKeyPair()
  const worker = generateInternalKeyPair()
  const verifier = createInternalTokenVerifier({
    publicKey: gateway.publicKey,
    workerPublicKey: worker.publicKey,
  })
  const workerSigner = createInternalTokenSigner({ privateKey: worker.privateKey, issuer: workerTokenIssuer })
  const spender = { ...alice, scopes: [scopes.llmUse] }

  test('a worker token carrying llm:use only is accepted with its identity', async () => {
    await expect(verifier.verify(await workerSigner.sign(spender))).resolves.toEqual(spender)
    // The gateway's tokens still pass beside them.
    const gatewaySigner = createInternalTokenSigner({ privateKey: gateway.privateKey })
    await expect(verifier.verify(await gatewaySigner.sign(alice))).resolves.toEqual(alice)
  })

  test("a worker token may read files for its requester (an agent run's rag_search)", async () => {
    const reader = { ...alice, scopes: [scopes.llmUse, scopes.filesRead] }
    await expect(verifier.verify(await workerSigner.sign(reader))).resolves.toEqual(reader)
  })

  test.each([[[scopes.llmUse, scopes.filesWrite]], [['llm:*']], [['files:*']], [[scopes.chatWrite]]])(
    'a worker token with scopes %j is a 401, never cached',
    async (held) => {
      const token = await workerSigner.sign({ ...alice, scopes: held })
      await expect(verifier.verify(token)).rejects.toMatchObject({
        code: 'KIT_ERR_UNAUTHENTICATED',
        message: 'A worker token may carry llm:use and files:read only',
      })
      expect(verifier.known?.(token)).toBeUndefined()
    },
  )

  test('each key speaks for its own issuer only', async () => {
    const asGateway = createInternalTokenSigner({ privateKey: worker.privateKey })
    const asWorker = createInternalTokenSigner({ privateKey: gateway.privateKey, issuer: workerTokenIssuer })
    for (const token of [await asGateway.sign(spender), await asWorker.sign(spender)]) {
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'KIT_ERR_UNAUTHENTICATED' })
    }
  })

  test('without the worker key configured, no worker token passes', async () => {
    const plain = createInternalTokenVerifier({ publicKey: gateway.publicKey })
    await expect(plain.verify(await workerSigner.sign(spender))).rejects.toMatchObject({
      code: 'KIT_ERR_UNAUTHENTICATED',
    })
  })

  test('the worker key may not be one of the internal token keys', () => {
    expect(() =>
      createInternalTokenVerifier({ publicKey: gateway.publicKey, workerPublicKey: gateway.publicKey }),
    ).toThrow(/worker key/)
  })
})
