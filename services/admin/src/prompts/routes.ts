import { ResolvedPrompt, ResolvePromptQuery } from '@switchyard/contracts'
import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import type { Caller } from '../access/caller.ts'
import type { Queryable } from '../db/sql.ts'
import type { AdminDeps } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { promptsRepository } from './repository.ts'
import {
  LabelMove,
  LabelParams,
  MoveLabelBody,
  NewPromptVersion,
  Prompt,
  PromptParams,
  PromptVersion,
  VersionParams,
} from './schemas.ts'
import { createVersion, moveLabel, removeLabel } from './service.ts'

async function promptOf(db: Queryable, caller: Caller, name: string): Promise<Prompt> {
  const prompt = await promptsRepository.getByName(db, caller.orgId, name)
  if (prompt === null) throw new adminErrors.NotFound('Prompt', name)
  return prompt
}

// No route here changes a version: a version is created, listed and read, and labels move.
export function promptsRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps
  const read = { adminAccess: { role: 'viewer', write: false } } as const
  const write = { adminAccess: { role: 'member', write: true } } as const

  app.get(
    '/admin/v1/prompts',
    {
      config: read,
      schema: {
        summary: 'Prompts of your org',
        response: { 200: Type.Object({ data: Type.Array(Prompt) }) },
      },
    },
    async (request) => ({ data: await promptsRepository.list(pool, request.caller.orgId) }),
  )

  app.get(
    '/admin/v1/prompts/:name',
    {
      config: read,
      schema: { summary: 'One prompt with its labels', params: PromptParams, response: { 200: Prompt } },
    },
    async (request) => promptOf(pool, request.caller, request.params.name),
  )

  app.post(
    '/admin/v1/prompts/:name/versions',
    {
      config: write,
      schema: {
        summary: 'Add the next version (creates the prompt at version 1)',
        params: PromptParams,
        body: NewPromptVersion,
        response: { 201: PromptVersion },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createVersion(deps, request.caller, request.params.name, request.body)),
  )

  app.get(
    '/admin/v1/prompts/:name/versions',
    {
      config: read,
      schema: {
        summary: 'Versions of a prompt, newest first',
        params: PromptParams,
        response: { 200: Type.Object({ data: Type.Array(PromptVersion) }) },
      },
    },
    async (request) => {
      const prompt = await promptOf(pool, request.caller, request.params.name)
      return { data: await promptsRepository.versions(pool, request.caller.orgId, prompt.id) }
    },
  )

  app.get(
    '/admin/v1/prompts/:name/versions/:version',
    {
      config: read,
      schema: { summary: 'One version', params: VersionParams, response: { 200: PromptVersion } },
    },
    async (request) => {
      const { name, version } = request.params
      const prompt = await promptOf(pool, request.caller, name)
      const found = await promptsRepository.version(pool, request.caller.orgId, prompt.id, version)
      if (found === null) throw new adminErrors.NotFound('Prompt version', `${name}@${version}`)
      return found
    },
  )

  app.put(
    '/admin/v1/prompts/:name/labels/:label',
    {
      config: write,
      schema: {
        summary: 'Point a label at a version (audited, announced)',
        params: LabelParams,
        body: MoveLabelBody,
        response: { 200: LabelMove },
      },
    },
    async (request) =>
      moveLabel(deps, request.caller, request.params.name, request.params.label, request.body.version),
  )

  app.delete(
    '/admin/v1/prompts/:name/labels/:label',
    { config: write, schema: { summary: 'Remove a label', params: LabelParams } },
    async (request, reply) => {
      await removeLabel(deps, request.caller, request.params.name, request.params.label)
      return reply.code(204).send()
    },
  )
}

/**
 * `GET /v1/prompts/{name}?label=production`: what chat, agent and other services render. Any
 * identity of the org may read its prompts (services call with the user's forwarded token), so
 * there is no role check; the org comes from the token, as everywhere.
 */
export function resolvePromptRoutes(app: KitServer, deps: AdminDeps): void {
  app.get(
    '/v1/prompts/:name',
    {
      schema: {
        summary: 'Resolve a prompt by label (default production) or version',
        params: PromptParams,
        querystring: ResolvePromptQuery,
        response: { 200: ResolvedPrompt },
      },
    },
    async (request) => {
      const { name } = request.params
      const { label, version } = request.query
      if (label !== undefined && version !== undefined) {
        throw Object.assign(new adminErrors.InvalidRequest('Give a label or a version, not both'), {
          param: 'version',
        })
      }
      const target: { label: string } | { version: number } =
        version !== undefined ? { version } : { label: label ?? 'production' }
      const found = await promptsRepository.resolve(deps.pool, request.identity.orgId, name, target)
      if (found === null) {
        throw new adminErrors.NotFound(
          'Prompt',
          'label' in target ? `${name}:${target.label}` : `${name}@${target.version}`,
        )
      }
      return {
        name: found.name,
        version: found.version,
        label: 'label' in target ? target.label : null,
        template: found.template,
        variables: found.variables,
        modelConfig: found.modelConfig,
      }
    },
  )
}
