import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import type { Caller } from '../access/caller.ts'
import { type Access, catalogReadScope } from '../access/roles.ts'
import { applyChange, type ChangeScope } from '../db/change.ts'
import { isForeignKeyViolation, isUniqueViolation } from '../db/sql.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { loadCatalogSpec, toCatalogSpec } from './catalog.ts'
import { modelsRepository } from './repository.ts'
import {
  DeploymentParams,
  Model,
  ModelParams,
  NewDeployment,
  NewModel,
  NewPrice,
  Price,
  UpdateDeployment,
  UpdateModel,
} from './schemas.ts'

const read: Access = { role: 'viewer', write: false }
const manage: Access = { role: 'admin', write: true, operator: true }

/** Other orgs see what they can call and what it costs, not where it runs. */
function forCaller(caller: Caller, model: Model): Model {
  if (caller.operator) return model
  const { deployments: _hidden, ...rest } = model
  return rest
}

/**
 * Announces one alias's routes as they now are: its entry in the router's catalog format, or
 * `model: null` when it is gone or has no deployment to serve. Per alias, so an event stays small
 * however large the catalog, and the compacted topic keeps each alias's latest.
 */
async function announceRoute(scope: ChangeScope, alias: string): Promise<void> {
  const model = await modelsRepository.get(scope.db, alias)
  const spec = model === null ? {} : toCatalogSpec([model]).models
  await scope.announce('routes', null, { alias, model: spec[alias] ?? null })
}

async function announcePrices(scope: ChangeScope, alias: string): Promise<void> {
  await scope.announce('prices', null, { alias, prices: await modelsRepository.prices(scope.db, alias) })
}

async function requireModel(scope: ChangeScope, alias: string): Promise<void> {
  if ((await modelsRepository.get(scope.db, alias)) === null) throw new adminErrors.NotFound('Model', alias)
}

async function checkFallbacks(scope: ChangeScope, alias: string, fallbacks: string[]): Promise<void> {
  if (fallbacks.includes(alias))
    throw Object.assign(new adminErrors.InvalidRequest(`${alias} cannot be its own fallback`), {
      param: 'fallbacks',
    })
  const missing = await modelsRepository.missing(scope.db, fallbacks)
  if (missing.length > 0) {
    throw Object.assign(new adminErrors.InvalidRequest(`Unknown fallback models: ${missing.join(', ')}`), {
      param: 'fallbacks',
    })
  }
}

/** A deployment id is unique in the whole catalog. */
function deploymentConflict(error: unknown, id: string): unknown {
  return isUniqueViolation(error) ? new adminErrors.Conflict(`A deployment ${id} already exists`) : error
}

export function modelsRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps
  const change = <T>(caller: Caller, fn: (scope: ChangeScope) => Promise<T>) =>
    applyChange(deps, actorOf(caller), fn)

  app.get(
    '/admin/v1/models',
    {
      config: { adminAccess: read },
      schema: { summary: 'The model catalog', response: { 200: Type.Object({ data: Type.Array(Model) }) } },
    },
    async (request) => ({
      data: (await modelsRepository.list(pool)).map((m) => forCaller(request.caller, m)),
    }),
  )

  app.get(
    '/admin/v1/models/:alias',
    {
      config: { adminAccess: read },
      schema: { summary: 'One model', params: ModelParams, response: { 200: Model } },
    },
    async (request) => {
      const model = await modelsRepository.get(pool, request.params.alias)
      if (model === null) throw new adminErrors.NotFound('Model', request.params.alias)
      return forCaller(request.caller, model)
    },
  )

  app.post(
    '/admin/v1/models',
    {
      config: { adminAccess: manage },
      schema: { summary: 'Add a model alias (operator)', body: NewModel, response: { 201: Model } },
    },
    async (request, reply) => {
      const { body } = request
      const model = await change(request.caller, async (scope) => {
        await checkFallbacks(scope, body.alias, body.fallbacks)
        try {
          await modelsRepository.insert(scope.db, {
            alias: body.alias,
            description: body.description ?? null,
            strategy: body.strategy ?? 'weighted-round-robin',
            listed: body.listed,
            fallbacks: body.fallbacks,
          })
        } catch (error) {
          throw isUniqueViolation(error)
            ? new adminErrors.Conflict(`A model ${body.alias} already exists`)
            : error
        }
        for (const deployment of body.deployments) {
          await modelsRepository
            .insertDeployment(scope.db, body.alias, deployment)
            .catch((error: unknown) => {
              throw deploymentConflict(error, deployment.id)
            })
        }
        if (body.price) {
          await modelsRepository.addPrice(scope.db, body.alias, {
            ...body.price,
            effectiveFrom: body.price.effectiveFrom ?? null,
          })
          await announcePrices(scope, body.alias)
        }
        await scope.audit({
          action: 'model.create',
          targetType: 'model',
          targetId: body.alias,
          details: { ...body },
        })
        await announceRoute(scope, body.alias)
        return (await modelsRepository.get(scope.db, body.alias)) as Model
      })
      return reply.code(201).send(model)
    },
  )

  app.patch(
    '/admin/v1/models/:alias',
    {
      config: { adminAccess: manage },
      schema: {
        summary: 'Change a model alias (operator)',
        params: ModelParams,
        body: UpdateModel,
        response: { 200: Model },
      },
    },
    async (request) => {
      const { alias } = request.params
      return change(request.caller, async (scope) => {
        if (request.body.fallbacks) await checkFallbacks(scope, alias, request.body.fallbacks)
        if (!(await modelsRepository.update(scope.db, alias, request.body)))
          throw new adminErrors.NotFound('Model', alias)
        await scope.audit({
          action: 'model.update',
          targetType: 'model',
          targetId: alias,
          details: { ...request.body },
        })
        await announceRoute(scope, alias)
        return (await modelsRepository.get(scope.db, alias)) as Model
      })
    },
  )

  app.delete(
    '/admin/v1/models/:alias',
    {
      config: { adminAccess: manage },
      schema: { summary: 'Remove a model alias (operator)', params: ModelParams },
    },
    async (request, reply) => {
      const { alias } = request.params
      await change(request.caller, async (scope) => {
        const users = await modelsRepository.fallbackUsers(scope.db, alias)
        if (users.length > 0)
          throw new adminErrors.Conflict(
            `${alias} is a fallback of ${users.join(', ')}; remove it there first`,
          )
        if (!(await modelsRepository.remove(scope.db, alias))) throw new adminErrors.NotFound('Model', alias)
        await scope.audit({ action: 'model.delete', targetType: 'model', targetId: alias })
        await announceRoute(scope, alias)
      })
      return reply.code(204).send()
    },
  )

  app.post(
    '/admin/v1/models/:alias/deployments',
    {
      config: { adminAccess: manage },
      schema: {
        summary: 'Add a deployment to a model (operator)',
        params: ModelParams,
        body: NewDeployment,
        response: { 201: Model },
      },
    },
    async (request, reply) => {
      const { alias } = request.params
      const model = await change(request.caller, async (scope) => {
        await requireModel(scope, alias)
        await modelsRepository.insertDeployment(scope.db, alias, request.body).catch((error: unknown) => {
          throw deploymentConflict(error, request.body.id)
        })
        await scope.audit({
          action: 'model.deployment.add',
          targetType: 'deployment',
          targetId: request.body.id,
          details: { alias, ...request.body },
        })
        await announceRoute(scope, alias)
        return (await modelsRepository.get(scope.db, alias)) as Model
      })
      return reply.code(201).send(model)
    },
  )

  app.patch(
    '/admin/v1/models/:alias/deployments/:deploymentId',
    {
      config: { adminAccess: manage },
      schema: {
        summary: 'Change a deployment (operator)',
        params: DeploymentParams,
        body: UpdateDeployment,
        response: { 200: Model },
      },
    },
    async (request) => {
      const { alias, deploymentId } = request.params
      return change(request.caller, async (scope) => {
        if (!(await modelsRepository.updateDeployment(scope.db, alias, deploymentId, request.body))) {
          throw new adminErrors.NotFound('Deployment', deploymentId)
        }
        await scope.audit({
          action: 'model.deployment.update',
          targetType: 'deployment',
          targetId: deploymentId,
          details: { alias, ...request.body },
        })
        await announceRoute(scope, alias)
        return (await modelsRepository.get(scope.db, alias)) as Model
      })
    },
  )

  app.delete(
    '/admin/v1/models/:alias/deployments/:deploymentId',
    {
      config: { adminAccess: manage },
      schema: { summary: 'Remove a deployment (operator)', params: DeploymentParams },
    },
    async (request, reply) => {
      const { alias, deploymentId } = request.params
      await change(request.caller, async (scope) => {
        if (!(await modelsRepository.removeDeployment(scope.db, alias, deploymentId))) {
          throw new adminErrors.NotFound('Deployment', deploymentId)
        }
        await scope.audit({
          action: 'model.deployment.remove',
          targetType: 'deployment',
          targetId: deploymentId,
          details: { alias },
        })
        await announceRoute(scope, alias)
      })
      return reply.code(204).send()
    },
  )

  app.get(
    '/admin/v1/models/:alias/prices',
    {
      config: { adminAccess: read },
      schema: {
        summary: "A model's price schedule, oldest first",
        params: ModelParams,
        response: { 200: Type.Object({ data: Type.Array(Price) }) },
      },
    },
    async (request) => {
      if ((await modelsRepository.get(pool, request.params.alias)) === null)
        throw new adminErrors.NotFound('Model', request.params.alias)
      return { data: await modelsRepository.prices(pool, request.params.alias) }
    },
  )

  app.post(
    '/admin/v1/models/:alias/prices',
    {
      config: { adminAccess: manage },
      schema: {
        summary: 'Set a price from a date on (operator)',
        params: ModelParams,
        body: NewPrice,
        response: { 201: Price },
      },
    },
    async (request, reply) => {
      const { alias } = request.params
      const price = await change(request.caller, async (scope) => {
        await requireModel(scope, alias)
        const added = await modelsRepository
          .addPrice(scope.db, alias, { ...request.body, effectiveFrom: request.body.effectiveFrom ?? null })
          .catch((error: unknown) => {
            if (isUniqueViolation(error))
              throw new adminErrors.Conflict(
                `${alias} already has a price from ${request.body.effectiveFrom}`,
              )
            throw isForeignKeyViolation(error) ? new adminErrors.NotFound('Model', alias) : error
          })
        await scope.audit({
          action: 'model.price.set',
          targetType: 'model',
          targetId: alias,
          details: { ...added },
        })
        await announcePrices(scope, alias)
        return added
      })
      return reply.code(201).send(price)
    },
  )
}

/** The router's view: the whole catalog in its own format, for a service token with the catalog scope. */
export function catalogRoutes(app: KitServer, deps: AdminDeps): void {
  app.get(
    '/admin/v1/internal/catalog',
    { schema: { summary: `The catalog in the llm-router's format (internal: needs ${catalogReadScope})` } },
    async (request) => {
      if (!request.identity.scopes.includes(catalogReadScope))
        throw new adminErrors.MissingScope(catalogReadScope)
      return loadCatalogSpec(deps.pool)
    },
  )
}
