import { access } from 'node:fs/promises'
import { UpstreamError } from '../provider.ts'
import type { LocalEngine } from './engine.ts'
import { isModelUri } from './model-file.ts'

/**
 * The health probe: the deployment's model name while its file is there (or loaded). It loads
 * nothing, so a probe does not pull a model into memory nobody asked for; a URI not yet downloaded
 * counts as healthy, since the first call downloads it.
 */
export async function listModels(engine: LocalEngine): Promise<string[]> {
  const { modelPath } = engine.options
  if (!engine.started && !isModelUri(modelPath)) {
    try {
      await access(modelPath)
    } catch {
      throw new UpstreamError('connect', `local model file ${modelPath} does not exist`)
    }
  }
  return [engine.deployment.model]
}
