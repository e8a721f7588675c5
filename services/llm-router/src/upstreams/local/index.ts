import type { Provider } from '../provider.ts'
import { chat, chatStream } from './chat.ts'
import { embeddings } from './embeddings.ts'
import { LocalEngine } from './engine.ts'
import { listModels } from './models.ts'
import { ModelStore } from './models-store.ts'
import { downloadOptionIssues, localOptions } from './options.ts'

export { ModelStore } from './models-store.ts'
export { localOptionIssues } from './options.ts'

/**
 * A GGUF model run in this process by node-llama-cpp (llama.cpp): the upstream of the one-process
 * shape when no server is configured. Deployments naming the same file share one loaded model.
 */
export function createLocalProvider(store = new ModelStore()): Provider {
  return {
    name: 'local',
    needsBaseUrl: false,
    optionIssues: downloadOptionIssues,
    createClient(deployment, context) {
      const engine = new LocalEngine(deployment, localOptions(deployment), store, context.logger)
      return {
        chat: (request, call) => engine.run(() => chat(engine, request, call)),
        chatStream: (request, call) => engine.run((hold) => chatStream(engine, request, call, hold)),
        embeddings: (request, call) => engine.run(() => embeddings(engine, request, call)),
        listModels: () => listModels(engine),
        close: () => engine.close(),
      }
    },
  }
}

export const localProvider: Provider = createLocalProvider()
