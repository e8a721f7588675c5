import type { OllamaConnection } from './connection.ts'

/** `GET /api/tags`: the models the server has pulled (the active probe). */
export async function listModels(connection: OllamaConnection, signal: AbortSignal): Promise<string[]> {
  const client = connection.client(signal)
  const list = await client.guard((ollama) => ollama.list())
  return list.models.map((model) => model.name)
}
