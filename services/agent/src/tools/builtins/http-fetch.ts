import type { AllowList } from '../net/allow-list.ts'
import { AddressRefusedError } from '../net/guarded-agent.ts'
import { FetchRefusedError, type SafeFetch } from '../net/safe-fetch.ts'
import { type Tool, ToolError } from '../tool.ts'

/**
 * `http_fetch`: GET a URL on the org's allow-list. The address checks live in the fetch's
 * dispatcher; the allow-list is checked for the URL and every redirect target.
 */
export function httpFetchTool(fetch: SafeFetch, allowList: AllowList): Tool {
  return {
    name: 'http_fetch',
    description:
      "Fetches a web page or API response with GET and returns its text. Only hosts on the organization's allow-list can be fetched.",
    parameters: {
      type: 'object',
      properties: { url: { type: 'string', minLength: 1, maxLength: 2048, description: 'An http(s) URL' } },
      required: ['url'],
      additionalProperties: false,
    },
    async call(args, ctx) {
      const { url } = args as { url: string }
      if (!URL.canParse(url)) throw new ToolError(`not a URL: ${JSON.stringify(url)}`)
      const res = await fetchForTool(fetch, {
        url,
        refusal: (target) => allowList.refusal(target),
        signal: ctx.signal,
      })
      return {
        url: res.url,
        status: res.status,
        content_type: res.contentType,
        truncated: res.truncated,
        body: res.text,
      }
    },
  }
}

/** A safe fetch whose refusals and network failures become tool errors the model can read. */
export async function fetchForTool(fetch: SafeFetch, req: Parameters<SafeFetch>[0]) {
  try {
    return await fetch(req)
  } catch (error) {
    if (error instanceof FetchRefusedError || error instanceof AddressRefusedError) {
      throw new ToolError(`refused: ${error.message}`)
    }
    if (req.signal?.aborted === true) throw error
    const cause = error instanceof Error ? error.message : String(error)
    throw new ToolError(`fetch failed: ${cause}`)
  }
}
