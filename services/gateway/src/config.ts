import { Duration, Url } from '@switchyard/config'
import { type Static, Type } from 'typebox'

/** Asymmetric algorithms only: an HMAC-signed token would need a secret shared with the IdP. */
const JwtAlgorithm = Type.Union(
  ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'].map((alg) =>
    Type.Literal(alg),
  ),
)

export const GatewayConfig = Type.Object({
  /** OIDC issuer (exactly as its tokens' `iss`); discovery is `<issuer>/.well-known/openid-configuration`. Unset: JWTs are refused. */
  GATEWAY_OIDC_ISSUER: Type.Optional(Url()),
  /** Audiences a token may carry (`aud`), comma-separated; required with an issuer. */
  GATEWAY_OIDC_AUDIENCE: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Signing algorithms accepted from the issuer. */
  GATEWAY_OIDC_ALGORITHMS: Type.Array(JwtAlgorithm, {
    minItems: 1,
    default: ['RS256', 'ES256', 'PS256', 'EdDSA'],
  }),
  /** Claim holding the caller's user id (a dotted path reaches into objects). */
  GATEWAY_OIDC_USER_CLAIM: Type.String({ minLength: 1, default: 'sub' }),
  /** Claim holding the caller's org id; a token without it is refused (403). */
  GATEWAY_OIDC_ORG_CLAIM: Type.String({ minLength: 1, default: 'org_id' }),
  /** Claim holding the caller's roles (an array, or a space-separated string); they become the identity's scopes. */
  GATEWAY_OIDC_ROLES_CLAIM: Type.String({ minLength: 1, default: 'roles' }),
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in milliseconds. */
  GATEWAY_OIDC_CLOCK_TOLERANCE_MS: Duration({ default: '30s', maximum: 300_000 }),
  /** Shortest time between two JWKS downloads caused by an unknown `kid` (a rotated key), in milliseconds. */
  GATEWAY_OIDC_JWKS_COOLDOWN_MS: Duration({ default: '30s' }),
  /** How long a downloaded JWKS is used before it is fetched again, in milliseconds. */
  GATEWAY_OIDC_JWKS_MAX_AGE_MS: Duration({ default: '10m', minimum: 1_000 }),
  /** How long a resolved API key is trusted without asking admin again (revocations still apply at once), in milliseconds. */
  GATEWAY_KEY_CACHE_TTL_MS: Duration({ default: '30s', minimum: 1 }),
  /** How long an unknown API key is refused without asking admin again, in milliseconds. */
  GATEWAY_KEY_NEGATIVE_TTL_MS: Duration({ default: '5s', minimum: 1 }),
  /** How long an OIDC sign-in's membership (and role) is trusted without asking admin again (admin's member-changed drops it at once), in milliseconds. */
  GATEWAY_MEMBER_CACHE_TTL_MS: Duration({ default: '30s', minimum: 1 }),
  /** How long an OIDC subject who is not a member is refused without asking admin again, in milliseconds. */
  GATEWAY_MEMBER_NEGATIVE_TTL_MS: Duration({ default: '5s', minimum: 1 }),
  /** Most API keys held in each of the positive and negative caches. */
  GATEWAY_KEY_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Most API keys being looked up at admin at once; a request past it is a 503 with Retry-After. */
  GATEWAY_KEY_LOOKUPS_IN_FLIGHT: Type.Integer({ minimum: 1, default: 32 }),
  /**
   * Failed or unauthenticated requests one client address may make per window
   * (GATEWAY_AUTH_FAILURE_WINDOW_MS); past it the address gets 429s for the rest of the window,
   * except with an API key already known valid. 0 turns the limit off.
   */
  GATEWAY_AUTH_FAILURES_PER_IP: Type.Integer({ minimum: 0, default: 30 }),
  /** The window of GATEWAY_AUTH_FAILURES_PER_IP (fixed, opened by its first failure), in milliseconds. */
  GATEWAY_AUTH_FAILURE_WINDOW_MS: Duration({ default: '1m', minimum: 1 }),
  /**
   * Proxies in front of the gateway that append to X-Forwarded-For (a load balancer: 1); the client
   * address is the entry that many hops from the right. 0: the connection's address.
   */
  GATEWAY_TRUSTED_PROXY_HOPS: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
  /** Wait before discovery is tried again after the issuer failed it, in milliseconds; doubles per failure, up to a minute. */
  GATEWAY_OIDC_DISCOVERY_RETRY_MS: Duration({ default: '1s' }),
  /** Requests one API key (or one OIDC user) may make per window; 0 turns the limit off. */
  GATEWAY_RATE_LIMIT_PER_KEY: Type.Integer({ minimum: 0, default: 600 }),
  /** Requests one org may make per window, over all its keys and users; 0 turns the limit off. */
  GATEWAY_RATE_LIMIT_PER_ORG: Type.Integer({ minimum: 0, default: 3_000 }),
  /** Rate-limit window (fixed, opened by its first request), in milliseconds. */
  GATEWAY_RATE_LIMIT_WINDOW_MS: Duration({ default: '1m', minimum: 1 }),
  /** Org ids (the operator org) whose callers get `x-switchyard-deployment`; comma-separated. Empty: nobody. */
  GATEWAY_OPERATOR_ORGS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Browser origins allowed by CORS, comma-separated (`*` for any); empty: no CORS headers. */
  GATEWAY_CORS_ORIGINS: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Largest request body passed on, in bytes. */
  GATEWAY_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 4 * 1_048_576 }),
  /**
   * Largest body of `POST /v1/files` (a multipart upload), in bytes: rag's RAG_MAX_UPLOAD_BYTES
   * (25 MiB) plus 64 KiB for the form's boundaries, headers and `purpose`, so that rag, not the
   * gateway, decides which file is too large. Raise both together.
   */
  GATEWAY_UPLOAD_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 25 * 1_048_576 + 64 * 1024 }),
  /**
   * Longest a service may take to answer, in milliseconds: until its last byte, except for a
   * stream (text/event-stream), which has it until its headers and no limit after.
   */
  GATEWAY_UPSTREAM_TIMEOUT_MS: Duration({ default: '10m', minimum: 1 }),
  /**
   * How long an internal token minted for a caller is reused for that caller's next requests, in
   * milliseconds (tokens live 60 s); 0 mints one per request. Reuse lets services answer from
   * their verified-token cache instead of checking a new signature each time.
   */
  GATEWAY_TOKEN_REUSE_MS: Duration({ default: '20s', maximum: 30_000 }),
  /**
   * Names this replica's consumer group for key revocations (`gateway.key-revocations.<id>`):
   * every replica needs its own, as each must see every revocation. Unset: a random id per start.
   */
  GATEWAY_INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })),
})
export type GatewayConfig = Static<typeof GatewayConfig>
