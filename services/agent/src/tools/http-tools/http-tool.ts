import { fetchForTool } from '../builtins/http-fetch.ts'
import type { SafeFetch } from '../net/safe-fetch.ts'
import { type Secrets, secretHeader } from '../secrets.ts'
import { type Tool, ToolError } from '../tool.ts'
import type { HttpToolRow } from './repository.ts'

/** Characters of an error answer shown to the model. */
const errorExcerpt = 500

/**
 * An org's HTTP tool as a Tool: the arguments go to its endpoint (a JSON body, or the query string
 * for GET) through the same safe fetch as http_fetch (addresses checked, redirects re-checked),
 * with its secret in a header that a redirect to another origin drops.
 */
export function httpTool(row: HttpToolRow, fetch: SafeFetch, secrets: Secrets): Tool {
  return {
    name: row.name,
    description: row.description,
    parameters: row.parameters,
    needsApproval: row.needs_approval,
    async call(args, ctx) {
      const url = new URL(row.url)
      if (row.method === 'GET') {
        for (const [key, value] of Object.entries((args ?? {}) as Record<string, unknown>)) {
          url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value))
        }
      }
      const secret = row.secret === null ? {} : secretHeader(secrets, row.secret, row.org_id, url)
      const res = await fetchForTool(fetch, {
        url: url.href,
        method: row.method,
        headers: {
          accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
          ...(row.method === 'POST' && { 'content-type': 'application/json' }),
          ...secret,
        },
        sensitiveHeaders: Object.keys(secret),
        ...(row.method === 'POST' && { body: JSON.stringify(args ?? {}) }),
        signal: ctx.signal,
      })
      if (res.status < 200 || res.status > 299) {
        throw new ToolError(`${row.name} answered ${res.status}: ${res.text.slice(0, errorExcerpt)}`)
      }
      if (res.contentType?.includes('json') && !res.truncated) {
        try {
          return JSON.parse(res.text) as unknown
        } catch {
          // Not the JSON it claimed to be: the text is still the answer.
        }
      }
      return res.truncated ? { truncated: true, body: res.text } : res.text
    },
  }
}
