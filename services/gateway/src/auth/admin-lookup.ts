import { type Identity, KeyResolution, resolveKeysScope, type ServiceName } from '@switchyard/contracts'
import type { InternalTokenSigner } from '@switchyard/kit'
import type { Logger } from 'pino'
import { Value } from 'typebox/value'
import { gatewayErrors } from '../errors.ts'
import { readAll, type Transport } from '../proxy/transport.ts'
import type { KeyLookup } from './api-keys.ts'

/** Who the gateway is when it asks admin: a service identity with just the scope it needs. */
export const gatewayIdentity: Identity = {
  orgId: 'platform',
  userId: 'gateway',
  keyId: null,
  scopes: [resolveKeysScope],
}

/** admin's code for a key that does not (or no longer) resolve; any other 4xx is our fault. */
const invalidKeyCode = 'ADMIN_ERR_INVALID_API_KEY'

/**
 * Resolves a key through admin's internal endpoint, as the gateway (a token it mints with scope
 * `internal:keys:resolve`). Only admin's "invalid key" answer means the key is bad; anything else
 * (admin down, a token admin refuses) is the gateway's problem, answered 503 and never cached.
 */
export function createAdminKeyLookup(deps: {
  transport: Transport
  signer: InternalTokenSigner
  serviceUrl(name: ServiceName): string
  logger: Logger
  timeoutMs?: number
}): KeyLookup {
  const timeoutMs = deps.timeoutMs ?? 5_000
  return async (key) => {
    let status: number
    let text: string
    try {
      const res = await deps.transport.request({
        origin: deps.serviceUrl('admin'),
        path: '/admin/v1/internal/keys/resolve',
        method: 'POST',
        headers: {
          authorization: `Bearer ${await deps.signer.sign(gatewayIdentity)}`,
          'content-type': 'application/json',
        },
        body: Buffer.from(JSON.stringify({ key })),
        signal: AbortSignal.timeout(timeoutMs),
      })
      status = res.statusCode
      text = (await readAll(res.body)).toString('utf8')
    } catch (error) {
      throw new gatewayErrors.AuthUnavailable('admin cannot be reached', { cause: error })
    }
    const body = parse(text)
    if (status === 200 && Value.Check(KeyResolution, body)) return body
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code
    if (code === invalidKeyCode || (status === 400 && code === 'KIT_ERR_VALIDATION')) return null
    deps.logger.error({ status, code }, 'admin refused to resolve an API key for the gateway')
    throw new gatewayErrors.AuthUnavailable(`admin answered ${status}`)
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
