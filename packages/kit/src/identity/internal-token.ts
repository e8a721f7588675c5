import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from 'node:crypto'
import { Identity } from '@switchyard/contracts'
import { type JWTHeaderParameters, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { Value } from 'typebox/value'
import { kitErrors } from '../errors/errors.ts'

/** An Ed25519 key pair in PEM: `privateKey` PKCS#8 (the gateway's), `publicKey` SPKI (every service's). */
export interface InternalKeyPair {
  privateKey: string
  publicKey: string
}

export interface InternalTokenSigner {
  /** A short-lived EdDSA JWT carrying the identity (claims org, user, key, scopes). */
  sign(identity: Identity): Promise<string>
}

export interface InternalTokenVerifier {
  /** The identity in a valid token; rejects with KIT_ERR_UNAUTHENTICATED otherwise. */
  verify(token: string): Promise<Identity>
}

export interface InternalTokenSignerOptions {
  /** PKCS#8 PEM. */
  privateKey: string
  issuer?: string
  audience?: string
  /** Token lifetime, in seconds. */
  ttlSeconds?: number
}

export interface InternalTokenVerifierOptions {
  /** SPKI PEM; several while a key is rotated (the token's `kid` picks one). */
  publicKey: string | readonly string[]
  issuer?: string
  audience?: string
  /** Allowed clock skew between signer and verifier, in seconds. */
  clockToleranceSeconds?: number
}

const defaultIssuer = 'switchyard-gateway'
const defaultAudience = 'switchyard-internal'
/** `typ` header: an OIDC or other JWT is never mistaken for an internal token. */
const tokenType = 'switchyard-internal+jwt'

export function generateInternalKeyPair(): InternalKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { privateKey, publicKey }
}

/** Synchronous, and throws on a bad key, so a misconfigured process fails at start. */
export function createInternalTokenSigner(options: InternalTokenSignerOptions): InternalTokenSigner {
  const key = ed25519Key(createPrivateKey(options.privateKey), 'private')
  const kid = thumbprint(createPublicKey(key))
  const issuer = options.issuer ?? defaultIssuer
  const audience = options.audience ?? defaultAudience
  const ttlSeconds = options.ttlSeconds ?? 60
  return {
    async sign(identity) {
      return new SignJWT({
        org: identity.orgId,
        user: identity.userId,
        key: identity.keyId,
        scopes: identity.scopes,
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: tokenType, kid })
        .setSubject(identity.userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .setJti(randomUUID())
        .sign(key)
    },
  }
}

export function createInternalTokenVerifier(options: InternalTokenVerifierOptions): InternalTokenVerifier {
  const pems = typeof options.publicKey === 'string' ? [options.publicKey] : options.publicKey
  if (pems.length === 0) throw new TypeError('createInternalTokenVerifier needs at least one public key')
  const keys = new Map(
    pems.map((pem) => {
      const key = ed25519Key(createPublicKey(pem), 'public')
      return [thumbprint(key), key] as const
    }),
  )
  const [onlyKey] = keys.size === 1 ? keys.values() : []
  const pickKey = (header: JWTHeaderParameters): KeyObject => {
    const key = (header.kid !== undefined ? keys.get(header.kid) : undefined) ?? onlyKey
    if (key === undefined) throw new joseErrors.JWKSNoMatchingKey()
    return key
  }
  return {
    async verify(token) {
      let payload: Record<string, unknown>
      try {
        ;({ payload } = await jwtVerify(token, pickKey, {
          algorithms: ['EdDSA'],
          typ: tokenType,
          issuer: options.issuer ?? defaultIssuer,
          audience: options.audience ?? defaultAudience,
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['exp', 'iat'],
        }))
      } catch (error) {
        throw new kitErrors.Unauthenticated(
          error instanceof joseErrors.JWTExpired
            ? 'The internal token has expired'
            : 'Invalid internal token',
          { cause: error },
        )
      }
      const identity = {
        orgId: payload.org,
        userId: payload.user,
        keyId: payload.key,
        scopes: payload.scopes,
      }
      if (!Value.Check(Identity, identity))
        throw new kitErrors.Unauthenticated('Invalid internal token claims')
      return identity
    },
  }
}

function ed25519Key(key: KeyObject, kind: 'private' | 'public'): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`the internal token ${kind} key must be Ed25519, got ${key.asymmetricKeyType}`)
  }
  return key
}

/** RFC 7638 JWK thumbprint of an Ed25519 public key: a stable `kid` derived from the key itself. */
function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' })
  return createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url')
}
