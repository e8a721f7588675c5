import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { stringify } from 'safe-stable-stringify'

// Ed25519 over the event's data in canonical JSON (keys sorted): the bytes do not depend on the
// key order a database or a JSON round trip hands back. An asymmetric key, so that consumers,
// which hold only the public half, cannot forge what they verify.

/** An Ed25519 private key from PEM; throws when it is not one. */
export function eventSigningKey(pem: string): KeyObject {
  const key = createPrivateKey(pem)
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`expected an Ed25519 private key, got ${key.asymmetricKeyType}`)
  return key
}

/** An Ed25519 public key from PEM (a private key's PEM gives its public half); throws when it is not one. */
export function eventVerifyKey(pem: string): KeyObject {
  const key = createPublicKey(pem)
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`)
  return key
}

function canonical(data: unknown): Buffer {
  return Buffer.from(stringify(data) ?? 'null')
}

/** The signature of `data` (base64url). */
export function signEventData(data: unknown, key: KeyObject): string {
  return sign(null, canonical(data), key).toString('base64url')
}

/** True when `signature` is `key`'s signature of `data`; false for a missing or malformed one. */
export function verifyEventData(data: unknown, signature: unknown, key: KeyObject): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false
  try {
    return verify(null, canonical(data), key, Buffer.from(signature, 'base64url'))
  } catch {
    return false
  }
}
