import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import { applyChange, type ChangeScope } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import { isUniqueViolation } from '../db/sql.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { keysRepository } from '../keys/repository.ts'
import { usersRepository } from '../users/repository.ts'
import { budgetsRepository } from './repository.ts'
import { Budget, BudgetParams, NewBudget, UpdateBudget } from './schemas.ts'

/**
 * One budget as it now is (`budget: null` once removed): the router sets or drops that one entry.
 * Per item, so an event stays small however many budgets an org has, and the compacted topic
 * keeps each budget's latest.
 */
async function announceBudget(
  scope: ChangeScope,
  orgId: string,
  subject: Pick<Budget, 'scope' | 'subjectId'>,
  budget: Pick<Budget, 'amountUsd' | 'period'> | null,
): Promise<void> {
  await scope.announce('budget', orgId, {
    scope: subject.scope,
    subjectId: subject.subjectId,
    budget: budget && { amountUsd: budget.amountUsd, period: budget.period },
  })
}

/** The subject must be this org, one of its members or one of its keys: another org's is "not found". */
async function subjectOf(scope: ChangeScope, orgId: string, body: NewBudget): Promise<string> {
  if (body.scope === 'org') {
    if (body.subjectId !== undefined && body.subjectId !== orgId)
      throw new adminErrors.NotFound('Organization', body.subjectId)
    return orgId
  }
  if (body.subjectId === undefined) {
    throw Object.assign(new adminErrors.InvalidRequest(`A ${body.scope} budget needs a subjectId`), {
      param: 'subjectId',
    })
  }
  const found =
    body.scope === 'user'
      ? await usersRepository.get(scope.db, orgId, body.subjectId)
      : await keysRepository.get(scope.db, orgId, body.subjectId)
  if (found === null)
    throw new adminErrors.NotFound(body.scope === 'user' ? 'User' : 'API key', body.subjectId)
  return body.subjectId
}

export function budgetsRoutes(app: KitServer, deps: AdminDeps): void {
  const { pool } = deps

  app.get(
    '/admin/v1/budgets',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: {
        summary: 'Budgets of your org, with spend this period',
        response: { 200: Type.Object({ data: Type.Array(Budget) }) },
      },
    },
    async (request) => ({ data: await budgetsRepository.list(pool, request.caller.orgId) }),
  )

  app.get(
    '/admin/v1/budgets/:budgetId',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: { summary: 'One budget', params: BudgetParams, response: { 200: Budget } },
    },
    async (request) => {
      const budget = await budgetsRepository.get(pool, request.caller.orgId, request.params.budgetId)
      if (budget === null) throw new adminErrors.NotFound('Budget', request.params.budgetId)
      return budget
    },
  )

  app.post(
    '/admin/v1/budgets',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: {
        summary: 'Set a budget on the org, a user or a key',
        body: NewBudget,
        response: { 201: Budget },
      },
    },
    async (request, reply) => {
      const { caller, body } = request
      const budget = await applyChange(deps, actorOf(caller), async (scope) => {
        const subjectId = await subjectOf(scope, caller.orgId, body)
        const id = newId('budget')
        try {
          await budgetsRepository.insert(scope.db, caller.orgId, {
            id,
            scope: body.scope,
            subjectId,
            amountUsd: body.amountUsd,
            period: body.period,
          })
        } catch (error) {
          throw isUniqueViolation(error)
            ? new adminErrors.Conflict(`${body.scope} ${subjectId} already has a budget; change that one`)
            : error
        }
        await scope.audit({
          action: 'budget.create',
          targetType: 'budget',
          targetId: id,
          details: { scope: body.scope, subjectId, amountUsd: body.amountUsd, period: body.period },
        })
        const created = (await budgetsRepository.get(scope.db, caller.orgId, id)) as Budget
        await announceBudget(scope, caller.orgId, created, created)
        return created
      })
      return reply.code(201).send(budget)
    },
  )

  app.patch(
    '/admin/v1/budgets/:budgetId',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: {
        summary: 'Change a budget',
        params: BudgetParams,
        body: UpdateBudget,
        response: { 200: Budget },
      },
    },
    async (request) => {
      const { caller } = request
      const { budgetId } = request.params
      return applyChange(deps, actorOf(caller), async (scope) => {
        const before = await budgetsRepository.get(scope.db, caller.orgId, budgetId)
        if (
          before === null ||
          !(await budgetsRepository.update(scope.db, caller.orgId, budgetId, request.body))
        ) {
          throw new adminErrors.NotFound('Budget', budgetId)
        }
        const after = (await budgetsRepository.get(scope.db, caller.orgId, budgetId)) as Budget
        await scope.audit({
          action: 'budget.update',
          targetType: 'budget',
          targetId: budgetId,
          details: {
            from: { amountUsd: before.amountUsd, period: before.period },
            to: { amountUsd: after.amountUsd, period: after.period },
          },
        })
        await announceBudget(scope, caller.orgId, after, after)
        return after
      })
    },
  )

  app.delete(
    '/admin/v1/budgets/:budgetId',
    {
      config: { adminAccess: { role: 'admin', write: true } },
      schema: { summary: 'Remove a budget', params: BudgetParams },
    },
    async (request, reply) => {
      const { caller } = request
      const { budgetId } = request.params
      await applyChange(deps, actorOf(caller), async (scope) => {
        const before = await budgetsRepository.get(scope.db, caller.orgId, budgetId)
        if (before === null || !(await budgetsRepository.remove(scope.db, caller.orgId, budgetId))) {
          throw new adminErrors.NotFound('Budget', budgetId)
        }
        await scope.audit({
          action: 'budget.delete',
          targetType: 'budget',
          targetId: budgetId,
          details: { scope: before.scope, subjectId: before.subjectId },
        })
        await announceBudget(scope, caller.orgId, before, null)
      })
      return reply.code(204).send()
    },
  )
}
