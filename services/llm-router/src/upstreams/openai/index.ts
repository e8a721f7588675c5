import type { Provider } from '../provider.ts'
import { chat, chatStream } from './chat.ts'
import { openAIConnection, openAIOptionIssues } from './connection.ts'
import { embeddings } from './embeddings.ts'
import { listModels } from './models.ts'

/** Any OpenAI-compatible server: vLLM, OpenAI, Ollama's /v1, llama.cpp's server. Bytes pass through. */
export const openaiProvider: Provider = {
  name: 'openai',
  needsBaseUrl: true,
  optionIssues: openAIOptionIssues,
  createClient(deployment) {
    const connection = openAIConnection(deployment)
    return {
      chat: (request, call) => chat(connection, request, call),
      chatStream: (request, call) => chatStream(connection, request, call),
      embeddings: (request, call) => embeddings(connection, request, call),
      listModels: (signal) => listModels(connection, signal),
      close: () => connection.close(),
    }
  },
}
