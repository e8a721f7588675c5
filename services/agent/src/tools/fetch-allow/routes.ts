import type { KitServer } from '@switchyard/kit'
import { toolErrors } from '../errors.ts'
import { parseAllowEntry } from '../net/allow-list.ts'
import { toolScopes } from '../scopes.ts'
import type { Tools } from '../source.ts'
import { fetchAllowRepository } from './repository.ts'
import { FetchAllowList, PutFetchAllowList } from './schemas.ts'

/** `GET/PUT /v1/agents/tools/http_fetch/allow_list`: where the org's http_fetch may go. */
export function fetchAllowRoutes(app: KitServer, tools: Tools): void {
  const path = '/v1/agents/tools/http_fetch/allow_list'
  app.get(
    path,
    {
      config: { scopes: toolScopes.read },
      schema: { summary: "http_fetch's allow-list (empty: nothing)", response: { 200: FetchAllowList } },
    },
    async (request) => ({
      object: 'agent.http_fetch.allow_list' as const,
      entries: await fetchAllowRepository.get(tools.sql, request.identity.orgId),
    }),
  )

  app.put(
    path,
    {
      config: { scopes: toolScopes.write },
      schema: {
        summary: "Replace http_fetch's allow-list",
        body: PutFetchAllowList,
        response: { 200: FetchAllowList },
      },
    },
    async (request) => {
      const entries = request.body.entries.map((entry) => entry.trim().toLowerCase())
      const bad = entries.find((entry) => parseAllowEntry(entry) === null)
      if (bad !== undefined) throw new toolErrors.InvalidAllowEntry(bad)
      await fetchAllowRepository.put(tools.sql, request.identity.orgId, entries, request.identity.userId)
      return { object: 'agent.http_fetch.allow_list' as const, entries }
    },
  )
}
