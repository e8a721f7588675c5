import type { Provider } from '../provider.ts'
import { chat, chatStream } from './chat.ts'
import { ollamaConnection } from './connection.ts'
import { embeddings } from './embeddings.ts'
import { listModels } from './models.ts'

/** Ollama's native API through the `ollama` client, translated to and from the OpenAI shape. */
export const ollamaProvider: Provider = {
  name: 'ollama',
  needsBaseUrl: true,
  createClient(deployment) {
    const connection = ollamaConnection(deployment)
    return {
      chat: (request, call) => chat(connection, request, call),
      chatStream: (request, call) => chatStream(connection, request, call),
      embeddings: (request, call) => embeddings(connection, request, call),
      listModels: (signal) => listModels(connection, signal),
      close: () => connection.close(),
    }
  },
}
