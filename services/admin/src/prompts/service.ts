import type { Caller } from '../access/caller.ts'
import { applyChange, type ChangeScope } from '../db/change.ts'
import { newId } from '../db/ids.ts'
import { type AdminDeps, actorOf } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { promptsRepository } from './repository.ts'
import type { NewPromptVersion, Prompt, PromptVersion } from './schemas.ts'

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/** The `{{name}}` placeholders of a template, each once, in order of appearance. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(placeholder)].map((match) => match[1] as string))]
}

async function lockedPrompt(scope: ChangeScope, orgId: string, name: string): Promise<Prompt> {
  const prompt = await promptsRepository.getByName(scope.db, orgId, name, { lock: true })
  if (prompt === null) throw new adminErrors.NotFound('Prompt', name)
  return prompt
}

/** Points a label at a version, audited and announced (prompt-label). */
async function moveLabelIn(
  scope: ChangeScope,
  orgId: string,
  prompt: Prompt,
  label: string,
  version: number,
) {
  const previousVersion = await promptsRepository.setLabel(
    scope.db,
    orgId,
    prompt.id,
    label,
    version,
    scope.actor.userId,
  )
  await scope.audit({
    action: 'prompt.label.move',
    targetType: 'prompt',
    targetId: prompt.id,
    details: { name: prompt.name, label, from: previousVersion, to: version },
  })
  await scope.announce('prompt-label', orgId, { prompt: prompt.name, label, version })
  return { name: prompt.name, label, version, previousVersion }
}

/**
 * Adds the next version of a prompt (creating the prompt with version 1). Versions are numbered
 * under the prompt's row lock, so two writers never get one number.
 */
export async function createVersion(
  deps: AdminDeps,
  caller: Caller,
  name: string,
  body: NewPromptVersion,
): Promise<PromptVersion> {
  const undeclared = placeholdersOf(body.template).filter((v) => !body.variables.includes(v))
  if (undeclared.length > 0) {
    throw Object.assign(
      new adminErrors.InvalidRequest(`The template uses undeclared variables: ${undeclared.join(', ')}`),
      { param: 'variables' },
    )
  }
  return applyChange(deps, actorOf(caller), async (scope) => {
    let prompt = await promptsRepository.getByName(scope.db, caller.orgId, name, { lock: true })
    if (prompt === null) {
      await promptsRepository.insert(scope.db, caller.orgId, {
        id: newId('prompt'),
        name,
        description: body.description ?? null,
        createdBy: caller.userId,
      })
      prompt = (await promptsRepository.getByName(scope.db, caller.orgId, name, { lock: true })) as Prompt
      await scope.audit({
        action: 'prompt.create',
        targetType: 'prompt',
        targetId: prompt.id,
        details: { name },
      })
    }
    const version = prompt.latestVersion + 1
    await promptsRepository.insertVersion(scope.db, caller.orgId, prompt.id, {
      version,
      template: body.template,
      variables: [...new Set(body.variables)],
      modelConfig: body.modelConfig ?? {},
      createdBy: caller.userId,
    })
    await scope.audit({
      action: 'prompt.version.create',
      targetType: 'prompt',
      targetId: prompt.id,
      details: { name, version },
    })
    for (const label of new Set(body.labels)) await moveLabelIn(scope, caller.orgId, prompt, label, version)
    return (await promptsRepository.version(scope.db, caller.orgId, prompt.id, version)) as PromptVersion
  })
}

export async function moveLabel(
  deps: AdminDeps,
  caller: Caller,
  name: string,
  label: string,
  version: number,
) {
  return applyChange(deps, actorOf(caller), async (scope) => {
    const prompt = await lockedPrompt(scope, caller.orgId, name)
    if ((await promptsRepository.version(scope.db, caller.orgId, prompt.id, version)) === null) {
      throw new adminErrors.NotFound('Prompt version', `${name}@${version}`)
    }
    return moveLabelIn(scope, caller.orgId, prompt, label, version)
  })
}

export async function removeLabel(
  deps: AdminDeps,
  caller: Caller,
  name: string,
  label: string,
): Promise<void> {
  await applyChange(deps, actorOf(caller), async (scope) => {
    const prompt = await lockedPrompt(scope, caller.orgId, name)
    const previous = await promptsRepository.removeLabel(scope.db, caller.orgId, prompt.id, label)
    if (previous === null) throw new adminErrors.NotFound('Label', `${name}:${label}`)
    await scope.audit({
      action: 'prompt.label.remove',
      targetType: 'prompt',
      targetId: prompt.id,
      details: { name, label, from: previous },
    })
    await scope.announce('prompt-label', caller.orgId, { prompt: name, label, version: null })
  })
}
