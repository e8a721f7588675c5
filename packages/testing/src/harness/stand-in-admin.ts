import { adminErrorCodes, type KeyResolution, resolveKeysScope } from '@switchyard/contracts'
import { echo, type StandInHandler } from './http-stand-in.ts'

/** admin's internal route that turns a presented API key into its identity. */
export const KEY_RESOLUTION_PATH = '/admin/v1/internal/keys/resolve'

/**
 * A stand-in admin's answers: the key-resolution route from `keys` (the API key as presented ->
 * what it resolves to), with admin's status codes and error codes, and an echo for anything else.
 * Only a caller whose internal token holds `resolveKeysScope` (the gateway) may resolve.
 */
export function answerKeyResolution(keys: ReadonlyMap<string, KeyResolution>): StandInHandler {
  return (request, res) => {
    if (request.url !== KEY_RESOLUTION_PATH) return echo(request, res)
    if (!request.identity?.scopes.includes(resolveKeysScope)) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: { type: 'permission_error', message: 'scope', code: adminErrorCodes.MissingScope },
        }),
      )
      return
    }
    const resolution = keys.get(JSON.parse(request.body).key)
    if (resolution === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: {
            type: 'authentication_error',
            message: 'Invalid API key',
            code: adminErrorCodes.InvalidApiKey,
          },
        }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(resolution))
  }
}
